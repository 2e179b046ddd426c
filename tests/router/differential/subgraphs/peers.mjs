// Resolve npm packages from tests/peers/node_modules (the dev-only reference peers).
import { createRequire } from "node:module";

export const require = createRequire(new URL("../../../peers/package.json", import.meta.url));
