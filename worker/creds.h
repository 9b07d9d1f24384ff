/* creds.h: AWS credentials: the standard provider chain and STS AssumeRole. */
#ifndef CREDS_H
#define CREDS_H

#include <stddef.h>
#include <stdint.h>

struct creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL for long-term keys */
	int64_t expiration;  /* epoch seconds; 0 = never expires */
	/* "environment", "shared-credentials-file:<profile>",
	 * "config-file:<profile>", "web-identity", "container", "imds",
	 * "assume-role:<role arn>" (cut with "..." if longer); no secret. */
	char source[256];
};

struct creds_provider;

/*
 * The base chain, in the AWS CLI's order: environment, shared credentials /
 * config files (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE),
 * web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), container
 * credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI), EC2
 * IMDSv2. The environment is read when credentials are first needed; the
 * source that answered first is the one asked again on refresh.
 *
 * Profiles: static keys, role_arn with source_profile / credential_source
 * (Environment, Ec2InstanceMetadata, EcsContainer) / web_identity_token_file,
 * role_session_name, duration_seconds, external_id, region (for STS).
 * credential_process, SSO and mfa_serial are reported as unsupported.
 * AWS_PROFILE (then AWS_DEFAULT_PROFILE) naming a missing profile is an error.
 *
 * Knobs (milliseconds unless said): AWS_METADATA_SERVICE_TIMEOUT (seconds,
 * default 1), AWS_METADATA_SERVICE_NUM_ATTEMPTS (1),
 * DDB_SYNC_CONTAINER_TIMEOUT_MS (2000), DDB_SYNC_CONTAINER_RETRY_DELAY_MS
 * (1000, between the 3 attempts), DDB_SYNC_STS_TIMEOUT_MS (10000 per
 * attempt, 3 attempts), DDB_SYNC_STS_RETRY_BASE_MS (200).
 * Test only: DDB_SYNC_TEST_CONTAINER_HOST replaces http://169.254.170.2 for
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (loopback/https rules apply).
 *
 * HTTP goes through a private struct http per provider, run synchronously
 * with bounded timeouts. Not thread-safe: one provider, one thread.
 */
struct creds_provider *creds_chain_new(void);

/*
 * Credentials for role_arn from STS AssumeRole, signed with base's
 * credentials (base is borrowed, not freed). sts_endpoint NULL = from
 * AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL / the region. region NULL =
 * us-east-1. session_name NULL = "ddb-sync-<pid>"; any name is made valid
 * ([\w+=,.@-], 2-64 characters).
 */
struct creds_provider *creds_assume_role_new(struct creds_provider *base,
    const char *role_arn, const char *region, const char *sts_endpoint,
    const char *session_name);

void creds_provider_free(struct creds_provider *);

/*
 * Let this provider's STS calls use plain http to a host that is not
 * loopback (endpoint_check_secure(); refused by default).
 */
void creds_allow_insecure_http(struct creds_provider *, int allow);

/*
 * Current credentials; refreshed first when they expire within the refresh
 * window (advisory 15 min: a failed refresh keeps the old ones and is not
 * retried for a minute; mandatory 10 min: a failed refresh fails). Returns
 * 0, or -1 with a message in err that never holds a secret. The pointer
 * stays valid until the next creds_get/creds_refresh call.
 */
int creds_get(struct creds_provider *, const struct creds **, char *err,
    size_t errlen);

/* Drop cached credentials and fetch new ones (ExpiredTokenException). */
int creds_refresh(struct creds_provider *, char *err, size_t errlen);

/* The time source, replaceable in tests (epoch seconds); NULL = wall clock. */
void creds_set_clock(int64_t (*now)(void));

/* Free the strings (secrets cleared first) and zero c. */
void creds_clear(struct creds *);

#endif
