/* sts.h: STS and metadata-service wire formats, parsed and built without I/O. */
#ifndef STS_H
#define STS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct creds;

/* STS limits ([M-STS]): RoleSessionName is 2-64 chars of [\w+=,.@-]. */
#define STS_SESSION_NAME_MAX 64
#define STS_DURATION_MIN     900
#define STS_DURATION_MAX     43200
#define STS_DURATION_DEFAULT 3600

/*
 * "YYYY-MM-DDTHH:MM:SS[.frac][Z|+HH:MM|-HH:MM|+HHMM]" -> epoch seconds. No
 * zone means UTC. Returns 0, or -1 if s is not such a time.
 */
int sts_parse_time(const char *s, int64_t *epoch);

/*
 * XML character data with the five named entities and numeric references
 * (&#N; &#xH;) replaced (UTF-8). Appends to out; 0, or -1 on a malformed or
 * unknown entity or when out is full.
 */
int sts_xml_unescape(struct buf *out, const char *s, size_t len);

/*
 * The Credentials of a successful <{action}Response> (action "AssumeRole" or
 * "AssumeRoleWithWebIdentity"), elements in any order. Fills c's keys and
 * expiration (source untouched); c's strings must be NULL on entry (a
 * zeroed or creds_clear()ed struct). Returns 0, or -1 with err (never
 * holding a value from the document except an <ErrorResponse>'s code and
 * message).
 */
int sts_parse_response(const char *xml, size_t len, const char *action,
    struct creds *c, char *err, size_t errlen);

/*
 * The Code and Message of an <ErrorResponse> (control characters replaced,
 * truncated to fit). Returns 0, or -1 if xml is not an ErrorResponse.
 */
int sts_parse_error(const char *xml, size_t len, char *code, size_t codelen,
    char *msg, size_t msglen);

/*
 * Credentials JSON of the container endpoint and of IMDS: AccessKeyId,
 * SecretAccessKey, optional Token and Expiration; a Code other than
 * "Success" is an error reporting Code and Message. c as above. Returns 0,
 * or -1 with err.
 */
int sts_parse_creds_json(const char *json, size_t len, struct creds *c,
    char *err, size_t errlen);

/*
 * A valid RoleSessionName from in: characters outside [\w+=,.@-] become
 * '-', cut at 64; fewer than 2 characters gives "ddb-sync". out must hold
 * STS_SESSION_NAME_MAX + 1 bytes.
 */
void sts_session_name(const char *in, char out[STS_SESSION_NAME_MAX + 1]);

/* Append "key=value" (RFC 3986 encoded; '&' first unless out is empty). */
int sts_form_add(struct buf *out, const char *key, const char *value);

/* Query-protocol bodies. external_id may be NULL. 0, or -1 when full. */
int sts_assume_role_body(struct buf *out, const char *role_arn,
    const char *session_name, int duration, const char *external_id);
int sts_web_identity_body(struct buf *out, const char *role_arn,
    const char *session_name, const char *token);

#endif
