"""The council as an MCP server (tools ``consult_council`` and ``list_presets``).

Named ``mcp_server`` so that nothing here can shadow the SDK's own ``mcp`` package. Served over
stdio by ``council mcp`` and over streamable HTTP at ``/mcp`` by ``council serve``.
"""
