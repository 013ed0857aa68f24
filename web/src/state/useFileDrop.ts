/**
 * Files dragged over an area: whether some are over it now (to show where they will land) and
 * the handlers that take them on drop. Text or links being dragged are left alone.
 */
import { useCallback, useRef, useState, type DragEvent } from 'react';

function carriesFiles(e: DragEvent): boolean {
  return Array.from(e.dataTransfer?.types ?? []).includes('Files');
}

export function useFileDrop(onFiles: (files: File[]) => void, enabled: boolean) {
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  const take = useRef(onFiles);
  take.current = onFiles;

  const onDragEnter = useCallback(
    (e: DragEvent) => {
      if (!enabled || !carriesFiles(e)) return;
      e.preventDefault();
      depth.current += 1;
      setDragging(true);
    },
    [enabled],
  );
  const onDragOver = useCallback(
    (e: DragEvent) => {
      if (!enabled || !carriesFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    },
    [enabled],
  );
  const onDragLeave = useCallback((e: DragEvent) => {
    if (!carriesFiles(e)) return;
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setDragging(false);
  }, []);
  const onDrop = useCallback(
    (e: DragEvent) => {
      depth.current = 0;
      setDragging(false);
      if (!enabled || !carriesFiles(e)) return;
      e.preventDefault();
      const files = Array.from(e.dataTransfer.files);
      if (files.length) take.current(files);
    },
    [enabled],
  );
  return { dragging, handlers: { onDragEnter, onDragOver, onDragLeave, onDrop } };
}
