/**
 * The conformance fixture's MCP server (fixture-server.ts `buildMcpServer`: the `test_*` tools, resources and
 * prompts the suite's server scenarios expect) behind the SDK's StdioServerTransport, so that the suite can be run
 * through the gateway against a stdio upstream (issue 7 "How it is shown").
 *
 * Run: node --import tsx test/conformance/stdio-fixture.ts
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { buildMcpServer } from './fixture-mcp.js';

await buildMcpServer().connect(new StdioServerTransport());
