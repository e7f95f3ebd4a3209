/** `--help` texts. Keep docs/cli.md in step with these. */

const EXIT_CODES = `Exit codes:
  0   success (verify: the token is valid)
  1   the token is invalid: not a UserSig, bad signature, other SDKAppID or UserID, expired;
      doctor: a problem was found; check-config: the config is invalid; smoke: a check failed
  2   usage error: unknown command or option, missing or malformed option, a secret given as an argument
  3   input or configuration error: no secret key or SDKAppID, nothing usable on stdin
  70  internal error (a bug)`;

const SECRETS = `The secret key is never a command-line argument (it would land in shell history and the
process list). It comes from the environment variable TENCENT_SECRET_KEY, or from stdin with
--secret-key-stdin (one trailing newline is removed; the rest is used exactly as given).`;

const COMMON = `  --json               print one JSON object on stdout, also on failure (then {"error": {"code", "message"}})
  -h, --help           show this help`;

export const GENERAL_HELP = `usersig-broker: sign, verify, decode and diagnose Tencent RTC / Chat UserSigs and TRTC PrivateMapKeys; check a broker's config and deployment

Usage: usersig-broker <command> [options]

Commands:
  sign                 sign a UserSig for one UserID
  sign-privatemapkey   sign a PrivateMapKey: a UserSig carrying one TRTC room and its privileges
  verify [token]       check a UserSig's SDKAppID, signature, UserID and expiry (needs the key)
  decode [token]       show what a UserSig claims, without checking it (no key needed)
  hash-api-key         print the SHA-256 (hex) of an API key read from stdin, for the broker's config
  doctor [token]       say what is wrong with a token that failed to log in; explain Tencent's error codes
  check-config [file]  validate a BROKER_CONFIG offline and list the Worker secrets it needs
  smoke <url>          check a running broker: healthz, OpenAPI, issuing, verifying, admin refused

Run \`usersig-broker <command> --help\` (or \`usersig-broker help <command>\`) for a command's options.

Environment:
  TENCENT_SECRET_KEY   the application's secret key (or --secret-key-stdin)
  TENCENT_SDKAPPID     the SDKAppID when --sdk-app-id is not given

${SECRETS}

Options of every command:
${COMMON}

\`usersig-broker --version\` prints the version.

${EXIT_CODES}
`;

const SIGN_HELP = `Usage: usersig-broker sign --user-id <id> --expire <lifetime> [options]

Signs a UserSig and prints it (only the token, on one line) on stdout.

Options:
  --user-id <id>       the UserID (1 to 32 bytes, no control characters)
  --expire <lifetime>  lifetime in seconds, or with a unit: 300, 15m, 12h, 7d. A UserSig cannot be
                       revoked: keep it short
  --sdk-app-id <n>     the SDKAppID (also --sdkappid; default: TENCENT_SDKAPPID)
  --now <unix>         issue time in unix seconds (default: the current time)
  --secret-key-stdin   read the secret key from stdin instead of TENCENT_SECRET_KEY
${COMMON}

JSON: {"userSig", "sdkAppId", "userId", "issuedAt", "issuedAtIso", "expireSeconds", "expiresAt", "expiresAtIso"}

Example:
  TENCENT_SDKAPPID=1400000000 usersig-broker sign --user-id alice --expire 1h --secret-key-stdin < secret-key.txt

${SECRETS}

${EXIT_CODES}
`;

const SIGN_PRIVATEMAPKEY_HELP = `Usage: usersig-broker sign-privatemapkey --user-id <id> --expire <lifetime>
         (--room <n> | --str-room <s>) --privileges <bits|names> [options]

Signs a PrivateMapKey (TRTC room permissions) and prints it on stdout.

Options:
  --user-id <id>       the UserID (1 to 32 bytes, no control characters)
  --expire <lifetime>  lifetime in seconds, or with a unit: 300, 15m, 12h, 7d (the expiry, issue
                       time + lifetime, must fit the 32-bit limit: at most 4294967295)
  --room <n>           numeric room id, 1 to 4294967294
  --str-room <s>       string room id, 1 to 64 bytes (give --room or --str-room, not both)
                       (--room-id and --str-room-id, the API's names, work too)
  --privileges <p>     a bitmap, 1 to 255 (decimal or 0x hex), or names joined by commas:
                       CreateRoom (1), EnterRoom (2), SendAudio (4), RecvAudio (8), SendVideo (16),
                       RecvVideo (32), SendSubVideo (64), RecvSubVideo (128), All (255)
  --sdk-app-id <n>     the SDKAppID (also --sdkappid; default: TENCENT_SDKAPPID)
  --now <unix>         issue time in unix seconds (default: the current time)
  --secret-key-stdin   read the secret key from stdin instead of TENCENT_SECRET_KEY
${COMMON}

JSON: {"privateMapKey", "sdkAppId", "userId", "roomId" or "strRoomId", "privileges", "privilegeNames",
       "issuedAt", "issuedAtIso", "expireSeconds", "expiresAt", "expiresAtIso"}

Example:
  usersig-broker sign-privatemapkey --user-id alice --expire 10m --room 1234 --privileges EnterRoom,RecvAudio,RecvVideo

${SECRETS}

${EXIT_CODES}
`;

const VERIFY_HELP = `Usage: usersig-broker verify [token | -] [options]

Checks a UserSig or PrivateMapKey, in this order: it names the expected SDKAppID, its signature
matches the secret key, it names the expected UserID (with --user-id), it has not expired
(expired when now > issue time + lifetime). The token is the argument, or stdin when there is no
argument or it is "-". The token and the secret key cannot both come from stdin.

Options:
  --sdk-app-id <n>     the expected SDKAppID (also --sdkappid; default: TENCENT_SDKAPPID)
  --user-id <id>       the expected UserID (default: any)
  --now <unix>         check expiry at this time in unix seconds (default: the current time)
  --secret-key-stdin   read the secret key from stdin instead of TENCENT_SECRET_KEY
${COMMON}

Human output: "valid" and the token's fields on stdout (exit 0), or "invalid: <reason>" on stderr (exit 1).
JSON: {"valid": true, <the fields decode prints>} (exit 0), or
      {"valid": false, "error": {"code", "message"}} (exit 1) with code one of ERR_MALFORMED,
      ERR_TOO_LARGE, ERR_SDKAPPID_MISMATCH, ERR_SIGNATURE, ERR_USERID_MISMATCH, ERR_EXPIRED.

Example:
  usersig-broker verify --user-id alice < token.txt

${SECRETS}

${EXIT_CODES}
`;

const DECODE_HELP = `Usage: usersig-broker decode [token | -] [options]

Shows what a UserSig or PrivateMapKey claims: SDKAppID, UserID, issue and expiry times (ISO 8601,
UTC), whether it has expired, and for a PrivateMapKey its room and privileges by name. The
signature is NOT checked (that needs the secret key: use verify). The token is the argument, or
stdin when there is no argument or it is "-".

Options:
  --now <unix>         decide "expired" at this time in unix seconds (default: the current time)
${COMMON}

JSON: {"version", "sdkAppId", "userId", "issuedAt", "issuedAtIso", "expireSeconds", "expiresAt",
       "expiresAtIso", "expired", ["userBuf" (base64)], ["privateMap": {"roomId" or "strRoomId",
       "privileges", "privilegeNames", "expiresAt", "expiresAtIso"}]}

${EXIT_CODES}
`;

const HASH_API_KEY_HELP = `Usage: usersig-broker hash-api-key < api-key.txt

Reads an API key from stdin, removes one trailing newline (\\n or \\r\\n) and nothing else, and
prints the lowercase hex SHA-256 of its UTF-8 bytes: the value to put in the broker's config
instead of the key itself. The key is never taken as an argument and never printed.

Options:
${COMMON}

JSON: {"sha256", "warnings": [...]}. A warning is given when the key starts or ends with
whitespace (HTTP strips it from header values, so such a key could never match) or contains a
line break.

${EXIT_CODES}
`;

const DOCTOR_HELP = `Usage: usersig-broker doctor [token | -] [--sdk-app-id <n>] [--user-id <id>] [--used-as userSig|privateMapKey]
         [--error <code>] [--now <unix>] [--secret-key-stdin]
       usersig-broker doctor --error <code>

Says what is wrong with a token that failed, most likely first: cut short (and by how much), not a
UserSig at all (a JWT, a guest ticket, a PrivateMapKey where a UserSig is expected or the
reverse), an old v1 (ECDSA) UserSig, another SDKAppID or UserID than the ones given, expired or
not yet valid (clock skew), and with the secret key a signature made with another key.

With --error, explains one of Tencent's login error codes (as Tencent documents it) and what to
check; with a token too, says whether the token shows its cause. Codes: 6206, 70001, 70003, 70009,
70013, 70014, 70016, 70020, 70052, 70107, 70398.

Options:
  --sdk-app-id <n>     the SDKAppID the token was used with (also --sdkappid; default: TENCENT_SDKAPPID if set)
  --user-id <id>       the UserID the token was used with
  --used-as <what>     userSig (login, enterRoom) or privateMapKey (TRTC room permissions)
  --error <code>       a Tencent error code to explain
  --now <unix>         judge expiry at this time in unix seconds (default: the current time)
  --secret-key-stdin   read the secret key from stdin; without it the key is TENCENT_SECRET_KEY if
                       set, else the signature is not checked
${COMMON}

Human output: the token, then numbered problems with what to do, on stdout.
Exit 0 when no problem is found (or with --error alone), 1 when there are problems.
JSON: {"kind", "findings": [{"code", "title", "detail", "tencentErrors"}], "notes", "signature",
       ["decoded"], ["v1"], ["error", "errorShown"]}

Examples:
  usersig-broker doctor --sdk-app-id 1400000000 --user-id alice < usersig.txt
  usersig-broker doctor --error 70009

${EXIT_CODES}
`;

const CHECK_CONFIG_HELP = `Usage: usersig-broker check-config [file | -]
       usersig-broker check-config --secrets-file <file | ->

Validates a BROKER_CONFIG offline with the Worker's own schema, and lists the Worker secrets it
needs (SECRET_KEY_<sdkAppId> per app, the Turnstile secret of apps whose guests use it,
ADMIN_API_TOKEN for the operator API). The file is the JSON itself (the config alone is checked),
or a .dev.vars file: read as wrangler dev reads it (quoted values may span lines) and judged with
its secrets exactly as the Worker judges its environment, placeholders included. "-" or no
argument reads stdin.

With --secrets-file, the file is one for \`wrangler deploy --secrets-file\` (JSON of name to string,
or KEY=value lines), as \`npm run deploy\` checks it: its BROKER_CONFIG, if it has one, is judged
whole, and each secret value it sets that the Worker reads is judged by the Worker's own rule for
that secret (a placeholder of .dev.vars.example, a callback key's format, an empty Tencent key). A
secret left out of the file is not judged (it may be set already). No value is ever printed.

Options:
  --secrets-file <f>   judge a wrangler secrets file, "-" for stdin (instead of a config)
${COMMON}

Exit 0 when valid (the secrets on stdout), 1 when not (every error, with its field, on stderr).
JSON: {"valid": true, "apps", "secrets": [{"name", "required", "purpose"}]} or
      {"valid": false, "errors": [{"field", "message"}]}; with --secrets-file also
      "secretErrors": [{"secret", "message"}] (and "apps", "secrets" when its BROKER_CONFIG passes)

Example:
  usersig-broker check-config .dev.vars

${EXIT_CODES}
`;

const SMOKE_HELP = `Usage: usersig-broker smoke <url> [--api-key-stdin] [--sdk-app-id <n>] [--user-id <id>] [--admin-id <id>]

Checks a running broker the way its callers use it, one PASS / FAIL / SKIP line per check:
  healthz        GET /healthz answers 200
  openapi        GET /openapi.json is this broker's OpenAPI description
  issue          POST /v1/usersig issues a UserSig (with the API key for --user-id, else as a guest)
                 that decodes to what the answer says, with Cache-Control: no-store
  verify         POST /v1/verify accepts it (needs the API key; skipped without)
  admin refused  POST /v1/usersig for the admin identity is refused (with the API key:
                 403 ADMIN_IDENTITY_FORBIDDEN)
Nothing it receives (a UserSig, a guest ticket) is printed.

Options:
  --api-key-stdin      read a backend API key from stdin (one trailing newline removed)
  --sdk-app-id <n>     the app to ask for, when the broker serves several
  --user-id <id>       the UserID to issue for with the API key (default: smoke_test)
  --admin-id <id>      an admin identity of the app (default: administrator)
${COMMON}

Exit 0 when no check failed, 1 otherwise.
JSON: {"url", "checks": [{"name", "outcome", "detail"}], "passed", "failed", "skipped"}

Example:
  usersig-broker smoke https://rtc-auth.example.com --api-key-stdin < api-key.txt

${EXIT_CODES}
`;

export const COMMAND_HELP: Record<string, string> = {
  sign: SIGN_HELP,
  "sign-privatemapkey": SIGN_PRIVATEMAPKEY_HELP,
  verify: VERIFY_HELP,
  decode: DECODE_HELP,
  "hash-api-key": HASH_API_KEY_HELP,
  doctor: DOCTOR_HELP,
  "check-config": CHECK_CONFIG_HELP,
  smoke: SMOKE_HELP,
};
