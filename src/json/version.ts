/**
 * The version every `--json` shape carries (./schemas.ts). Apart from the schemas so a
 * command that only prints JSON (validate) does not build all of them at start-up.
 */
export const JSON_VERSION = 1;
