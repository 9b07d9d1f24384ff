/* aws.h: signed AWS JSON 1.0 calls (DynamoDB, Streams) with retries. */
#ifndef AWS_H
#define AWS_H

#include <stdint.h>

#include "buf.h"
#include "endpoint.h"
#include "http.h"
#include "retry.h"

struct creds_provider;

struct aws_stats {
	uint64_t requests;
	uint64_t retries;
	uint64_t throttles;
	uint64_t transient;
};

struct aws_policy {
	unsigned max_attempts;		/* transient errors; 0 = budget only */
	uint64_t base_ms;		/* transient backoff base */
	uint64_t throttle_base_ms;	/* throttling backoff base */
	uint64_t cap_ms;		/* backoff cap */
	uint64_t budget_ms;		/* give up transient retries after */
	long	 timeout_ms;		/* whole request */
	long	 connect_timeout_ms;
};

/* One per (side, service): endpoint, region, credentials. */
struct aws_client {
	struct http	*http;
	enum endpoint_service svc;
	char		*url;
	struct endpoint_url eu;
	char		*region;
	const char	*target_prefix;
	struct creds_provider *creds;	/* borrowed */
	struct aws_stats *stats;	/* borrowed, may be shared */
	struct aws_policy policy;
	char		 label[64];	/* for log lines: "source", ... */
};

struct aws_call;
typedef void (*aws_done_fn)(struct aws_call *, void *arg);

struct aws_call {
	struct aws_client *cl;
	const char	*op;		/* "Scan", "BatchWriteItem", ... */
	struct buf	 req;		/* request body, filled by the caller */

	/* Result, valid in the done callback. */
	enum aws_status	 status;
	long		 http_status;
	char		 code[96];	/* sanitised error code */
	char		 msg[512];	/* error message (no secrets) */
	const char	*body;		/* response body (xfer.resp) */
	size_t		 bodylen;

	/* Internal. */
	unsigned	 attempt;
	int64_t		 first_ms;
	int		 refreshed;
	struct http_xfer xfer;
	struct http_timer timer;
	struct curl_slist *hdrs;
	aws_done_fn	 done;
	void		*arg;
	int		 busy;
};

/* 0, or -1 with err (bad endpoint URL). */
int	aws_client_init(struct aws_client *, struct http *,
	    enum endpoint_service, const char *region, const char *override,
	    struct creds_provider *, struct aws_stats *, char *err,
	    size_t errlen);
void	aws_client_clear(struct aws_client *);
void	aws_policy_default(struct aws_policy *);

void	aws_call_init(struct aws_call *, struct aws_client *, const char *op);
/* Send call->req; retries as the policy says; done() once, at the end. */
void	aws_call_start(struct aws_call *, aws_done_fn, void *arg);
/* Abandon an in-flight call (no callback). */
void	aws_call_abort(struct aws_call *);
/* Free buffers; the call can be reused after aws_call_init(). */
void	aws_call_cleanup(struct aws_call *);
/* Run the loop until this call is done (start-up and preflight). */
enum aws_status aws_call_sync(struct aws_call *);


#endif
