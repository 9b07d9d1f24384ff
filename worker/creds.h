/* creds.h: AWS credentials: the standard provider chain and STS AssumeRole. */
#ifndef CREDS_H
#define CREDS_H

#include <stddef.h>
#include <stdint.h>

struct creds {
	char	*access_key_id;
	char	*secret_access_key;
	char	*session_token;		/* NULL for long-term keys */
	int64_t	 expiration;		/* epoch seconds; 0 = never expires */
	char	 source[40];		/* "environment", "imds", ... (no secret) */
};

struct creds_provider;

/*
 * The base chain, in the AWS CLI's order: environment, shared credentials /
 * config files (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE),
 * web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), container
 * credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI), EC2
 * IMDSv2. The environment is read when credentials are first needed.
 */
struct creds_provider *creds_chain_new(void);

/*
 * Credentials for role_arn from STS AssumeRole, signed with base's
 * credentials (base is borrowed, not freed). sts_endpoint NULL = from
 * AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL / the region.
 */
struct creds_provider *creds_assume_role_new(struct creds_provider *base,
	    const char *role_arn, const char *region, const char *sts_endpoint,
	    const char *session_name);

void	creds_provider_free(struct creds_provider *);

/*
 * Current credentials; refreshed first when they expire within the refresh
 * window (advisory 15 min: a failed refresh keeps the old ones; mandatory
 * 10 min). Returns 0, or -1 with a message in err that never holds a secret.
 * The pointer stays valid until the next creds_get/creds_refresh call.
 */
int	creds_get(struct creds_provider *, const struct creds **,
	    char *err, size_t errlen);

/* Drop cached credentials and fetch new ones (ExpiredTokenException). */
int	creds_refresh(struct creds_provider *, char *err, size_t errlen);

/* The time source, replaceable in tests (epoch seconds). */
void	creds_set_clock(int64_t (*now)(void));

void	creds_clear(struct creds *);

#endif
