"""What the code does not say of itself: the meaning of each configuration key, event type
and exit status, for the reference pages. A key, type or status the code has and this
module does not describe makes the strict build fail, so the reference stays whole."""

from __future__ import annotations

# Configuration keys by dotted path; sink keys as ``sinks.KEY`` (every type) or
# ``sinks.TYPE.KEY``; saved-search keys as ``watch.search.KEY``.
CONFIG: dict[str, str] = {
    "database.url": "SQLAlchemy URL of the database: SQLite (one worker) or "
    "`postgresql+psycopg://user:password@host/db` (production, several replicas). "
    "The environment variable `MONITOR_DATABASE_URL` replaces it. A SQLite path must be "
    "creatable; a new file is made readable by its owner only.",
    "sources.cqc_api.base_url": "The Syndication API's base URL (or the simulator's).",
    "sources.cqc_api.subscription_key": "The `Ocp-Apim-Subscription-Key` from CQC's API "
    "portal; printable ASCII without spaces at either end. Masked wherever it could appear.",
    "sources.cqc_api.partner_code": "Sent as `partnerCode` on every request: CQC asks "
    "integrators to identify themselves.",
    "sources.cqc_api.requests_per_second": "The deployment's total: shared by every thread "
    "and, on PostgreSQL, by every process through the database (`0`: unlimited).",
    "sources.cqc_api.concurrency": "Locations fetched in parallel.",
    "sources.cqc_api.timeout_seconds": "Read timeout of each read of the socket "
    "(connecting: at most 10 s).",
    "sources.cqc_api.deadline_seconds": "Total time one request may take (connect, headers, "
    "body); past it the attempt fails as a timeout and is retried. Absent: twice "
    "`timeout_seconds`.",
    "sources.cqc_api.max_response_bytes": "Larger responses are refused while streaming, "
    "never buffered.",
    "sources.cqc_api.max_attempts": "Tries per request on 429, 5xx and timeouts; other "
    "4xx are never retried.",
    "sources.cqc_api.change_feed_overlap_minutes": "Each poll re-reads this much of the "
    "previous window, so a change CQC stamps late is not missed.",
    "sources.cqc_web.enabled": "Also read each location's page on CQC's website: the "
    '"All inspections" timeline, the only source of monthly data reviews (`data_review`).',
    "sources.cqc_web.base_url": "The website; pages are read at "
    "`{base_url}/location/{id}/reports`.",
    "sources.cqc_web.requests_per_second": "The website's own rate, shared like the API's.",
    "sources.cqc_web.timeout_seconds": "As for the API.",
    "sources.cqc_web.deadline_seconds": "As for the API (absent: twice the timeout).",
    "sources.cqc_web.max_response_bytes": "As for the API.",
    "sources.report_text.enabled": "Read the text of each report an alert is about (the "
    "API's `Accept: text/plain` extract, else the assessment's narrative, else the website's "
    "summary) for what it found: breaches, special measures, enforcement.",
    "sources.report_text.timeout_seconds": "Timeout of each read of a report's text.",
    "sources.report_text.deadline_seconds": "Total time of one report text request, retries "
    "included.",
    "sources.report_text.max_response_bytes": "A larger text is refused, never buffered; the "
    "alert goes without findings.",
    "sources.report_text.max_attempts": "Attempts per request on 429, 5xx and timeouts.",
    "sources.report_text.read_attempts": "Cycles that try one report's text before it is "
    "given up (`failed`).",
    "sources.report_text.cycle_seconds": "The time one cycle spends reading texts; what is "
    "not read in it goes out with `findings: null` and is retried by later cycles.",
    "watch.locations": "Location ids to watch (`1-10000302982`).",
    "watch.providers": "Provider ids: every location of each is watched.",
    "watch.file": "A text or CSV file with one id per line (relative to the configuration "
    "file); blank lines, `#` comments and a CSV header are skipped. UTF-8.",
    "watch.all": "The whole register, streamed page by page.",
    "watch.search.name": "The search's name (unique, up to 64 characters): events and sink "
    "routing (`searches`) refer to it.",
    "watch.search.FILTER": "A filter of CQC's `GET /locations`, spelt as the API spells it; "
    'text or a list of text (a list means "any of"). Different filters must all hold. '
    "Any other key exits with status 2 naming it.",
    "schedule.timezone": "Time zone of the cron strings (IANA name).",
    "schedule.changes": "The daily incremental poll of CQC's change feed (standard crontab: "
    "0 = Sunday; day of month and day of week OR'ed, like cron).",
    "schedule.review": "The monthly full review of every watched location.",
    "schedule.deliver_every_seconds": "How often `run`'s dispatcher looks for due deliveries.",
    "schedule.changes_every_seconds": "Above 0 (at least 0.5): poll the change feed at this "
    "interval instead of by the `changes` cron string. For trials against the simulator or "
    "a staging API, not for CQC.",
    "schedule.grace_seconds": "On SIGTERM, time for running work to finish or stop before "
    "the worker exits (`run --grace` overrides).",
    "schedule.cycle_lease_seconds": "PostgreSQL replicas: a running cycle's lease, renewed "
    "four times per lease; a cycle whose lease runs out is taken over by another replica.",
    "alerts.first_seen": "`silent` or `alert`: what a location's first snapshot does "
    "(what CQC published on or after the day an id entered the watchlist is reported either way).",
    "alerts.failing_after": "Consecutive failed cycles before `monitor_failing`.",
    "delivery.retry_horizon_hours": "A delivery still failing this long after its event is `dead`.",
    "delivery.initial_backoff_seconds": "First retry delay; it doubles per attempt, with "
    "jitter, never sooner than the receiver's `Retry-After`.",
    "delivery.max_backoff_seconds": "The longest retry delay.",
    "delivery.batch_size": "Deliveries claimed per dispatcher round and sink.",
    "server.host": "Address of `/healthz`, `/readyz` and `/metrics` while `run` is up.",
    "server.port": "Their port (`0`: any free port).",
    "server.dashboard": "`run` also serves the read-only dashboard on that port.",
    "server.dashboard_auth": "`none`, `basic` (`dashboard_users`) or `bearer` "
    "(`dashboard_token`). The health paths stay open.",
    "server.dashboard_users": "User name → password hash from "
    '`cqc-monitor dashboard hash-password`, e.g. `{ auditor = "${AUDITOR_HASH}" }`.',
    "server.dashboard_token": "The bearer token, 16 characters or more.",
    "server.dashboard_path_prefix": "Serve the pages under this path (`/cqc`) for a proxy "
    "that forwards it unchanged.",
    "logging.level": "`debug`, `info`, `warning` or `error`.",
    "logging.format": "`auto` (JSON lines unless on a terminal), `json` or `console`.",
    "logging.progress_seconds": "During a cycle, `run` (and `check` without a terminal) "
    "logs a `cycle_progress` line at most this often (`0`: after every batch).",
    "retention.fetch_log_days": "Fetch-log rows older than this are pruned; snapshots, "
    "events and deliveries are kept.",
    "retention.keep_raw_payload": "Keep each snapshot's API document, compressed, personal "
    "names removed.",
    "sinks.name": "The sink's unique name: deliveries, `status`, `sinks test NAME`.",
    "sinks.type": "Which kind of sink the table describes.",
    "sinks.events": "Event types it receives (absent: all).",
    "sinks.min_severity": "`info`, `warning` or `critical`.",
    "sinks.locations": "Only events of these locations (absent: all).",
    "sinks.providers": "Only events of these providers' locations (absent: all).",
    "sinks.searches": "Only events of these saved searches' locations; must name "
    "configured searches.",
    "sinks.timeout_seconds": "Timeout of each read of the socket.",
    "sinks.deadline_seconds": "Total time of one send (a webhook POST, an SMTP "
    "conversation, an Apprise notification); past it the attempt fails and is retried. "
    "Absent: twice `timeout_seconds`.",
    "sinks.digest": "A crontab string (standard crontab: 0 = Sunday; in `schedule.timezone`), "
    'e.g. `"0 8 * * 1"` for Mondays 08:00: the events below `immediate_min_severity` are held '
    "and go at each window as one message (one email, one chat message, one signed webhook "
    "POST); an empty window sends nothing. Absent: every event goes at once.",
    "sinks.immediate_min_severity": "With `digest`: events at or above it (`info`, `warning` "
    "or `critical`; default `critical`) go at once, the others wait for the window. It must "
    "leave something to hold: above `min_severity`.",
    "sinks.email.host": "SMTP server.",
    "sinks.email.port": "SMTP port: 587 for STARTTLS, 465 for implicit TLS.",
    "sinks.email.security": "`starttls`, `ssl` or `none`; TLS verifies the certificate.",
    "sinks.email.username": "SMTP user, when the server wants one.",
    "sinks.email.password": "SMTP password (masked everywhere).",
    "sinks.email.from": "The sender address, e.g. `CQC monitor <cqc-monitor@example.org>`.",
    "sinks.email.to": "Recipients.",
    "sinks.email.ca_file": "A private CA bundle to verify the server with, instead of the "
    "system's.",
    "sinks.webhook.url": "Where each event is POSTed; redirects are not followed.",
    "sinks.webhook.secret": "`whsec_` and base64: the Standard Webhooks signing key.",
    "sinks.webhook.headers": "Extra request headers (not the signing ones); values whose "
    "name says credential are masked.",
    "sinks.webhook.digest_max_bytes": "The largest digest POST (default 262144, 256 KiB): a "
    "digest larger than this goes as numbered parts, each signed with its own stable "
    "`webhook-id` (`<digest id>.<n>`).",
    "sinks.apprise.urls": "Apprise URLs (`slack://…`, `msteams://…`, `tgram://…`); needs "
    "the `apprise` extra.",
}

# Event types: when one is recorded, what ``details`` holds, and its severity.
EVENTS: dict[str, tuple[str, str, str]] = {
    "rating_changed": (
        "An effective rating (Overall or a key question, location or service level) changed.",
        "`changes[]`: `question`, `service` (null: location level), `old`, `new`, "
        "`direction` (`declined`, `improved`, `changed`), `framework` (`legacy` or "
        "`assessment`); `framework`, `report_date`, `report_link_id`, `report_url`",
        "`critical` when anything becomes Inadequate or Overall declines; `warning` for "
        "other declines; else `info`",
    ),
    "new_inspection": (
        "A new report in the API, or a new inspection on the website timeline (one event "
        "when both see it), with what its text found when it could be read in the cycle.",
        "`report_link_id`, `report_date`, `first_visit_date`, `report_type`, `report_url`, "
        "`findings` (`source`, `breaches`, `regulations`, `special_measures`, `enforcement`, "
        "`summary`; null while the text is not read)",
        "from the findings: `critical` for special measures placed or kept, urgent action, a "
        "warning notice, suspension or cancellation; `warning` for breaches; else `info`",
    ),
    "report_findings": (
        "A report's text was read after its `new_inspection` went out without findings.",
        "`report_link_id`, `findings`",
        "as `new_inspection`",
    ),
    "data_review": (
        'A new "monthly review of our data" entry on the website (`sources.cqc_web`).',
        "`date`, `text`",
        "`info`",
    ),
    "registration_changed": (
        "The registration status changed.",
        "`old`, `new`, `deregistration_date`",
        "`critical` when deregistered",
    ),
    "details_changed": (
        "Name, address, postcode, provider, type, care home, beds, service types, "
        "specialisms, region or local authority changed.",
        "`changes[]`: `field`, `old`, `new`",
        "`info`; `warning` when the provider changes",
    ),
    "location_removed": (
        "A watched location that was seen before now answers 404 (confirmed by a second request).",
        "`http_status`",
        "`critical`",
    ),
    "location_added": (
        "A location joins a saved search: it registered in the area (`new_registration`) "
        "or now matches (`now_matches`).",
        "`search`, `reason`, `registration_date`, `matched`, `ratings`",
        "`info`",
    ),
    "location_left": (
        "A member of a saved search no longer matches it (a deregistration is "
        "`registration_changed` instead).",
        "`search`, `reason` (`no_longer_matches`), `mismatches[]`: `filter`, `label`, "
        "`wanted`, `now`; `ratings`",
        "`info`",
    ),
    "monitor_failing": (
        "A location could not be fetched, or a saved search could not be resolved, in "
        "`alerts.failing_after` cycles in a row (for a search, `location` is "
        "`search:NAME` and `details.search` names it).",
        "`consecutive_failures`, `last_error`",
        "`warning`",
    ),
    "source_changed": (
        "CQC changed the shape of its documents: a key path never seen, a value of an "
        "enumerated field never seen (a rating label off the scale, a new status), or a "
        "field the monitor reads that stopped appearing. Once per deployment; `location` is "
        "the first example.",
        "`kind`, `paths_added`, `paths_missing`, `values_added[]`: `path`, `field`, `value`; "
        "`examples` (up to 5 location ids), `first_seen_at`",
        "`warning`",
    ),
    "provider_rating_changed": (
        "A watched provider's own rating changed (`[watch] providers`): an NHS trust or "
        "large independent provider rated as a whole, above its locations. Overall, a key "
        "question or `Use of resources`; a rating inherited from a predecessor "
        "(`organisationId`) is not a change. The event has `provider: {id, name, url}` and "
        "`location` null.",
        "as `rating_changed` (`question` may also be `Use of resources`)",
        "as `rating_changed`",
    ),
    "provider_new_report": (
        "A new report of type `Provider` in a watched provider's own document, with what "
        "its text found when it could be read in the cycle (a later reading is "
        "`report_findings`, also naming the provider). `provider` set, `location` null.",
        "as `new_inspection`",
        "as `new_inspection`",
    ),
    "monitor_recovered": (
        "A location (or saved search) that was reported failing can be fetched (resolved) again.",
        "`consecutive_failures`, `last_error`",
        "`info`",
    ),
}

# Exit statuses by the command line's constant name.
EXIT_CODES: dict[str, str] = {
    "EXIT_OK": "Done: the command did what it was asked. `status`: nothing needs attention.",
    "EXIT_FAILED": "Ran but failed: the database is unreachable or behind the migrations "
    "(read-only commands say `run cqc-monitor db upgrade`), `check` could fetch no location "
    "or the subscription key was refused, `run` lost its database lease or its SQLite file. "
    "`status`: something needs attention. `healthcheck`: the worker is not healthy, or its "
    "configuration is broken (never 2, which Docker reserves).",
    "EXIT_USAGE": "Usage or configuration error: an unknown option, or an invalid "
    "configuration; the message names the key or the file.",
}

# What a command's own help leaves out, shown below it (by command path without the program).
COMMANDS: dict[str, str] = {
    "run": "The long-running worker: scheduled cycles (the daily poll and the monthly review), "
    "the alert dispatcher, and `/healthz`, `/readyz`, `/metrics` (and the dashboard when "
    "`[server] dashboard` is on) on `[server] port`. It brings the database to the latest "
    "migration first unless `--no-migrate`. SIGTERM/SIGINT: no new work, the cycle in hand "
    "stops after its batch, exit 0 within the grace period. It exits 1 by itself when it can "
    "no longer trust its database (its lease taken over, its SQLite file deleted or replaced).",
    "check": "Incremental via the change feed by default; `--full` re-fetches every watched "
    "location; `--location ID` (repeatable) checks only those: a spot check, recorded as a "
    "`spot` cycle that never counts as the daily poll or the monthly review (their staleness "
    "alarms stay as they were). An id is `1-` and digits or an NHS code in capitals (`RXQ`, "
    "`RXQ02`); anything else is a usage error (exit 2). Prints one summary line, the first "
    "failed locations, the ids CQC has no location for, and how many watched locations still "
    "have no baseline. Exit 1 when no location could be fetched, when an id given with "
    '`--location` was never known to CQC ("CQC has no location 1-12345"), when the '
    "subscription key was refused or the database is unreachable. The progress shown (a bar "
    "on a terminal, `cycle_progress` log lines otherwise) counts towards the listings' own "
    "totals: the register's and each saved search's from their first page, a poll's as the "
    "feed's candidates join; the ETA is the time remaining.",
    "deliver": "Delivers pending alerts now, retrying the ones that are due, and sends the "
    "digests whose window has come.",
    "digest": "Digests: what each sink with a `digest` schedule holds for its window "
    "([Sinks and routing](../how-to/sinks.md#digests)).",
    "digest send": "Sends what the sinks with a digest hold now, one message per sink "
    "(`--sink NAME`: that sink only), whatever window it waits for; a digest still waiting "
    "for a retry is tried again now. Nothing waiting: nothing is sent, exit 0. A name that "
    "is not a configured sink with a digest: exit 2 naming the configured ones. A digest "
    "that could not be sent: exit 1; the worker or `deliver` retries it whole, with the same "
    "id.",
    "status": "Schema revision (current and head), next run of each schedule, the last cycle "
    "of each kind (`incremental`, `full`, and `spot` for `check --location`, which never "
    "counts for freshness; when, how long, result, counts; the replica running it), the "
    "change-feed watermark, watched locations by state (`unknown`: an id CQC answers 404 for "
    "and never answered for, listed as not found at CQC) with the failing ones listed, "
    "deliveries pending, "
    "failed and dead per sink, those held for a digest with the window they wait for, sinks "
    "disabled by a `410 Gone`, and whether a worker holds the lease. Exits 1 when something "
    "needs attention — each reason has a [runbook page](../runbook/index.md) — so it serves "
    "as a cron or monitoring probe. `--database URL` reads that database without any "
    "configuration file, as `history`, `changes`, `alerts` and `sinks` do.",
    "history": "A location's audit trail: snapshots with their ratings, events, deliveries "
    "(each naming the event it carries) and failed fetches, oldest first in every format; the "
    "CSV has one column per key question (`Overall`, `Safe`…).",
    "changes": "`--format json` prints the events exactly as delivered; `--format csv` is the "
    "dashboard's Changes CSV, byte for byte: one row per event (`detected_at` as ISO 8601 "
    "text, `severity`, `type`, `location_id`, `location`, `provider_id`, `summary`, `id` and "
    "the findings columns), UTF-8 with a byte order mark so spreadsheets read it as such. "
    "Tables fit "
    "the terminal (`COLUMNS` wins; piped output is not wrapped). In every CSV, a cell starting "
    "with `=`, `+`, `-`, `@`, tab or CR gets a leading `'` so spreadsheets show it as text.",
    "sinks": "Every configured sink with its type, its state (`enabled`, or `disabled` with "
    "since when and the receiver's answer), its digest schedule and its deliveries pending, "
    "held for its digest, failed and dead, and its `last_test` (when `sinks test` last ran "
    "and whether it was `sent` or `failed`); a sink "
    "no longer configured is listed while it is still disabled.",
    "sinks enable": "Re-enables a sink that a `410 Gone` disabled, once its receiver is fixed, "
    "and re-queues the deliveries the disable marked dead (it says how many). A sink that is "
    "not disabled: exit 0, nothing to do; a name neither configured nor disabled: exit 2 "
    "naming the configured sinks.",
    "sinks test": "Sends a realistic sample alert (a downgrade) through one sink and reports "
    'the outcome: `"test": true` in the event, `[TEST]` in its summary and subject, a '
    "location no real service could be. It sends through a disabled sink too. The send is "
    "kept in the audit trail (`sink_tests`: time, outcome, duration, masked error, the event) "
    "and shown by `alerts` and `sinks` as a test; it never counts as an alert (no event, no "
    "retry, no digest, not in `status` or the metrics). It migrates the database first unless "
    "`--no-migrate`.",
    "config check": "Every problem is reported in one run, exit 2: unset environment "
    "variables, unknown keys, out-of-range values, duplicate sink and search names, sinks "
    "following searches that do not exist, ids of the wrong shape, and every enumerated word "
    "(event types, severities, sink types, ratings, log levels…) checked against the real "
    'vocabulary with "did you mean". Switches take `true` or `false` only (`all = "yes"` is '
    "refused). Secrets are masked (webhook URL paths, header values whose name says "
    "credential). A configuration that can do nothing useful gets a `warning:` and exits 0. "
    "`--resolve` costs one API request per saved search, and one per configured id never "
    "fetched successfully (at most 100): those CQC has no location for are listed as "
    "`not found at CQC`.",
    "db upgrade": "Applies the database migrations (Alembic). The read-only commands never "
    'change the schema and exit 1 with "run cqc-monitor db upgrade" when it is behind.',
    "dashboard": "The [read-only dashboard](../how-to/dashboard.md) on its own port, against "
    "the configured database or any other; never migrates or writes.",
    "healthcheck": "Asks the running worker's `/healthz` on `[server] port` (on `127.0.0.1` "
    "when `[server] host` is every interface): exit 0 when healthy, 1 with one line saying "
    "why otherwise. A broken configuration is 1 too, never 2, which Docker reserves. It opens "
    "no database: it is the image's `HEALTHCHECK`.",
    "demo": "The offline [demonstration](../getting-started/demo.md) against the built-in "
    "simulated CQC API; keeps its database in the output folder.",
}
