"""Everything a running server holds for its life: store, providers, run service, simulator.

Built once in the app's lifespan; routes reach it through ``deps``. In demo mode the simulated
upstream runs in-process on a loopback port and every model resolves to it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from llmcouncil.analytics.weighting import ReviewerWeights
from llmcouncil.api.governance import Governance
from llmcouncil.api.handover import Phase, RunHandover
from llmcouncil.api.live_streams import LiveEventPublisher, RedisEventFeed, redis_client
from llmcouncil.api.run_events import RunEventSource
from llmcouncil.api.takeover import Takeover
from llmcouncil.config import Settings, is_demo, validated_settings
from llmcouncil.council.pipeline import CouncilPipeline
from llmcouncil.council.runs import RunObserver, RunService
from llmcouncil.documents.processing import KIND as DOCUMENT_JOB
from llmcouncil.documents.processing import DocumentUploads
from llmcouncil.documents.service import DocumentService, document_service
from llmcouncil.documents.summary_jobs import KIND as SUMMARY_JOB
from llmcouncil.documents.summary_jobs import SummaryJobs
from llmcouncil.documents.vision import catalogue_image_input
from llmcouncil.documents.windows import catalogue_windows
from llmcouncil.evaluation.repository import EvaluationStore
from llmcouncil.feedback.service import VoteObserver
from llmcouncil.jobs.deployment import job_queue, uses_workers
from llmcouncil.observability.logging import RunLogContext
from llmcouncil.privacy.policy import PrivacyGuard
from llmcouncil.providers.registry import ProviderRegistry
from llmcouncil.resilience.calls import ModelCaller
from llmcouncil.resilience.cluster_capacity import ClusterCapacity
from llmcouncil.resilience.limits import AdmissionGate
from llmcouncil.resilience.redis_breakers import RedisBreakerStore
from llmcouncil.resilience.shared_latencies import SharedLatencies
from llmcouncil.sim import SimServer
from llmcouncil.store.database import create_engine, upgrade
from llmcouncil.store.instances import Heartbeat, InstanceRegistry
from llmcouncil.store.repository import Store
from llmcouncil.store.tables import utcnow
from llmcouncil.usage.background import BackgroundCharges

log = logging.getLogger("llmcouncil")

DEMO_MESSAGE = (
    "DEMO MODE: no provider key is configured, so every model is the built-in simulated "
    "upstream and all output is simulated. To use real models set OPENROUTER_API_KEY (or "
    "configure a provider in council.toml: see council.example.toml) and restart."
)


@dataclass(slots=True)
class Runtime:
    settings: Settings
    engine: AsyncEngine
    store: Store
    registry: ProviderRegistry
    caller: ModelCaller
    runs: RunService
    governance: Governance
    simulator: SimServer | None
    privacy: PrivacyGuard | None = None
    vote_observers: tuple[VoteObserver, ...] = ()
    heartbeat: Heartbeat | None = None
    takeover: Takeover | None = None
    shared_breakers: RedisBreakerStore | None = None
    shared_latencies: SharedLatencies | None = None
    reviewer_weights: ReviewerWeights | None = None
    live_events: LiveEventPublisher | None = None
    run_events: RunEventSource | None = None
    document_uploads: DocumentUploads | None = None
    summary_jobs: SummaryJobs | None = None

    @property
    def demo(self) -> bool:
        return self.simulator is not None

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        observers: Sequence[RunObserver] = (),
        vote_observers: Sequence[VoteObserver] = (),
        resume_left_behind: bool = False,
    ) -> Runtime:
        """``observers`` (metrics, tracing) see every run; log lines always name their run.
        ``vote_observers`` (metrics) are told of every vote cast. ``resume_left_behind``: this
        process (a server) resumes the runs dead instances left running (api/takeover.py);
        otherwise it marks them interrupted."""
        validated_settings(settings)
        engine = create_engine(settings.database_url)
        try:
            await upgrade(engine)
            privacy = await PrivacyGuard.start(settings)
            if not privacy.detector.ner.available:
                log.warning("privacy: %s", privacy.detector.ner.message)
            store = Store(engine, open_vault=privacy.cipher.for_display)
            simulator: SimServer | None = None
            if is_demo(settings):
                simulator = SimServer()
                await simulator.start(host="127.0.0.1", port=0)
                log.warning(DEMO_MESSAGE)
                log.warning("simulated upstream listening on %s", simulator.base_url)
            registry = ProviderRegistry(
                settings, simulator_url=simulator.base_url if simulator else None
            )
            registry.start_catalogue_refresh(settings.model_refs())
            # Several instances on one Redis share their breakers: one finds a model failing,
            # all stop sending to it, and one probes it (resilience/redis_breakers.py).
            breakers = RedisBreakerStore(settings.redis_url) if settings.redis_url else None
            caller = ModelCaller(registry, settings, breaker_store=breakers)
            # ... and their latencies, so every instance hedges on every instance's calls.
            latencies = (
                SharedLatencies(settings.redis_url, caller.latencies)
                if settings.redis_url
                else None
            )
            # Chapter summaries are written through the caller; windows come from the catalogue.
            document_service(store=store, privacy=privacy, settings=settings).bind(
                caller=caller,
                context_window=catalogue_windows(registry.model_info),
                image_input=catalogue_image_input(registry.model_info),
            )
            # Uploads read in the background (Prefer: respond-async): a job of this process
            # without Redis, of a `council worker` with it (documents/processing.py).
            documents = document_service(store=store, privacy=privacy, settings=settings)
            uploads = DocumentUploads(documents)
            # ... and so are a book's chapter summaries (documents.summaries = "background").
            summaries = SummaryJobs(documents, settings, payer=None)
            uploads.queue = summaries.queue = job_queue(
                settings,
                {DOCUMENT_JOB: uploads.process, SUMMARY_JOB: summaries.run},
                lane="quick",  # never behind the batches queued before them
            )
            documents.on_ready = summaries.offer
            if not uses_workers(settings) and resume_left_behind:
                await uploads.recover()  # the uploads a stopped server left processing
            pipeline = CouncilPipeline(store=store, caller=caller, settings=settings)
            governance = await Governance.start(settings, engine=engine, store=store)
            # The owner's ledger and budgets, and the audit log.
            summaries.payer = BackgroundCharges(governance.usage, governance.audit)
            weights = ReviewerWeights(engine, settings.reviewer_weighting)
            # Every run's events go to its Redis stream, so any instance can follow it live
            # (api/live_streams.py); without Redis nothing is published.
            events_redis = redis_client(settings.redis_url) if settings.redis_url else None
            live_events = LiveEventPublisher(events_redis) if events_redis else None
            capacity = settings.resilience.capacity
            cluster = (
                ClusterCapacity(
                    settings.redis_url,
                    cap=capacity.max_active_runs_cluster,
                    lease=settings.instances.lease,
                )
                if settings.redis_url and capacity.max_active_runs_cluster
                else None
            )
            runs = RunService(
                store=store,
                pipeline=pipeline,
                settings=settings,
                capacity=AdmissionGate(capacity, cluster=cluster),
                simulated=simulator is not None,
                privacy=privacy,
                observers=[RunLogContext(), *observers, *([live_events] if live_events else [])],
                gate=governance.gate,
                reviewer_weights=weights.current if settings.reviewer_weighting.enabled else None,
            )
            resume = resume_left_behind and settings.instances.resume
            heartbeat, takeover = _heartbeat(
                settings,
                store=store,
                runs=runs,
                resume=resume,
                defer=not resume_left_behind,
                documents=document_service(store=store, privacy=privacy, settings=settings),
            )
            if resume:
                await governance.recover()  # their old reservations freed before they resume
                await heartbeat.tick()  # alive, and the runs dead instances left resume here
            else:
                await heartbeat.tick()  # alive, and the runs dead instances left are interrupted
                await governance.recover()
            heartbeat.start()
            if latencies is not None:
                latencies.start()
            weights.start()  # when on: computed now, then every `refresh` seconds
        except BaseException:
            await engine.dispose()
            raise
        return cls(
            settings=settings,
            engine=engine,
            store=store,
            registry=registry,
            caller=caller,
            runs=runs,
            governance=governance,
            simulator=simulator,
            privacy=privacy,
            vote_observers=tuple(vote_observers),
            heartbeat=heartbeat,
            takeover=takeover,
            shared_breakers=breakers,
            shared_latencies=latencies,
            reviewer_weights=weights,
            live_events=live_events,
            document_uploads=uploads,
            summary_jobs=summaries,
            run_events=RunEventSource(
                store=store,
                runs=runs,
                feed=RedisEventFeed(events_redis) if events_redis else None,
                # a handed-over run is taken by the next sweep of a live instance
                handover_wait=2 * settings.instances.heartbeat + 1,
            ),
        )

    async def hand_over(self, phase: Phase) -> int:
        """Draining: ask the live runs to go to the other instances (api/handover.py) — only
        where instances resume what they find (``instances.resume``), else they would end it."""
        if not self.settings.instances.resume:
            return 0
        handover = RunHandover(
            runs=self.runs,
            registry=InstanceRegistry(self.engine),
            lease=self.settings.instances.lease,
            clock=utcnow,
        )
        return await handover.ask(phase)

    async def hand_over_at_stop(self) -> int:
        """A server stopping with runs still live (no drain, or past its bound): while another
        instance is alive they go on there, mid-stage, their stored stages kept, rather than
        being cancelled (``instances.handover = 0``: cancelled)."""
        self.stop_taking_over()  # nor take any back: each would be handed over again
        if self.settings.instances.handover <= 0:
            return 0
        asked = await self.hand_over(Phase.STOP)
        if asked:
            log.warning(
                "stopping: %d live run(s) are handed over to the other instances, their stored "
                "stages kept",
                asked,
            )
        return asked

    def stop_taking_over(self) -> None:
        """Draining (api/drain.py): the runs dead instances leave go to the instances that stay,
        not to this one, which would have to finish them within its drain."""
        if self.takeover is not None:
            self.takeover.paused = True

    async def stop(self) -> None:
        if self.document_uploads is not None and self.document_uploads.queue is not None:
            await self.document_uploads.queue.aclose()  # unfinished: read again at next start
        await self.runs.shutdown()
        if self.runs.capacity.cluster is not None:  # its places freed at once
            await self.runs.capacity.cluster.aclose()
        if self.live_events is not None:  # the ends of the runs just stopped are published
            await self.live_events.aclose()
        if self.heartbeat is not None:
            await self.heartbeat.stop()
        if self.reviewer_weights is not None:
            await self.reviewer_weights.stop()
        if self.privacy is not None:  # the document reader's worker process
            await document_service(
                store=self.store, privacy=self.privacy, settings=self.settings
            ).aclose()
        await self.governance.aclose()
        await self.registry.aclose()
        if self.shared_breakers is not None:
            await self.shared_breakers.aclose()
        if self.shared_latencies is not None:
            await self.shared_latencies.aclose()
        if self.simulator is not None:
            await self.simulator.stop()
        await self.engine.dispose()


def _heartbeat(
    settings: Settings,
    *,
    store: Store,
    runs: RunService,
    resume: bool,
    defer: bool,
    documents: DocumentService,
) -> tuple[Heartbeat, Takeover]:
    """This process as an instance on the shared database (store/instances.py); its sweep
    resumes (api/takeover.py) or interrupts the runs dead instances left running — or, for a
    command-line process (``defer``), touches no run: a run left behind, or handed over by a
    draining server (api/handover.py), is a server's to resume, never a command's to end (a gone
    instance's evaluations it still marks interrupted, as before)."""
    lease = settings.instances.lease
    instance_id = runs.worker_id
    registry = InstanceRegistry(store.engine)
    takeover = Takeover(store=store, runs=runs, registry=registry, documents=documents, lease=lease)
    evaluations = EvaluationStore(store.engine)

    async def sweep(now: datetime) -> int:
        # Evaluations too: only those of instances that are gone (evaluation/repository.py).
        stopped = await evaluations.interrupt_orphaned(worker_id=instance_id, lease=lease, now=now)
        if stopped:
            log.warning(
                "%d evaluation(s) left running by a stopped server are now interrupted; "
                "resume them to finish without repeating finished calls",
                stopped,
            )
        if resume:
            return await takeover.sweep(now)
        if defer:  # a command: runs are the servers' to resume, never its to end
            return 0
        return await store.interrupt_orphaned_runs(worker_id=instance_id, lease=lease, now=now)

    heartbeat = Heartbeat(
        registry=registry,
        instance_id=instance_id,
        sweep=sweep,
        every=settings.instances.heartbeat,
        lease=lease,
        clock=utcnow,
    )
    return heartbeat, takeover
