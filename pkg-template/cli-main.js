// The CLI's commands. Reads OMNI_ENDPOINT / OMNI_SERVICE_ACCOUNT_KEY like omnictl.
import * as omni from "./node.js";

const USAGE = `omni-wasm ${omni.version()} — omnictl-style commands on omni-wasm

Usage:
  omni-wasm --version
  omni-wasm help

Environment: OMNI_ENDPOINT, OMNI_SERVICE_ACCOUNT_KEY (as omnictl).
`;

export async function main(argv) {
  const [cmd] = argv;
  if (cmd === "--version" || cmd === "-v" || cmd === "version") {
    process.stdout.write(`omni-wasm ${omni.version()} (${omni.buildFlavor()})\n`);
    return 0;
  }
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  process.stderr.write(`unknown command ${JSON.stringify(cmd)}\n\n${USAGE}`);
  return 2;
}
