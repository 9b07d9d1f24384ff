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
	unsigned max_attempts;	   /* transient errors; 0 = budget only */
	uint64_t base_ms;	   /* transient backoff base */
	uint64_t throttle_base_ms; /* throttling backoff base */
	uint64_t cap_ms;	   /* backoff cap */
	uint64_t budget_ms;	   /* give up transient retries after */
	long timeout_ms;	   /* whole request */
	long connect_timeout_ms;
	uint64_t notice_ms; /* say a call is retrying after */
};

/* One per (side, service): endpoint, region, credentials. */
struct aws_client {
	struct http *http;
	enum endpoint_service svc;
	char *url;
	struct endpoint_url eu;
	char *region;
	const char *target_prefix;
	struct creds_provider *creds; /* borrowed */
	struct aws_stats *stats;      /* borrowed, may be shared */
	struct aws_policy policy;
	char label[64];		  /* for log lines: "source", ... */
	int64_t server_offset_ms; /* Date - host clock */
	int server_offset_known;

	/* Retry notices (aws.c): calls failing for policy.notice_ms. */
	unsigned noticed; /* such calls still going */
	int notice_sent;  /* this episode was reported */
	int64_t notice_next_ms;
	uint64_t notice_gap_ms; /* up to AWS_NOTICE_GAP_MAX_MS */
	int64_t notice_since_ms;
};

/* Notices of a long retry come at growing intervals, at most this far apart. */
#define AWS_NOTICE_GAP_MAX_MS (5 * 60 * 1000)

struct aws_call;
typedef void (*aws_done_fn)(struct aws_call *, void *arg);

#define AWS_FENCE_SEND 0
#define AWS_FENCE_HOLD 1
#define AWS_FENCE_DROP 2

struct aws_call {
	struct aws_client *cl;
	const char *op; /* "Scan", "BatchWriteItem", ... */
	struct buf req; /* request body, filled by the caller */

	/* Set before aws_call_start(): give up retrying (whatever the
	 * error) once the call has been failing this long; 0 = the policy's
	 * budget (transient errors only; throttling is retried without
	 * end). The preflight bounds its calls this way. */
	uint64_t give_up_ms;
	/* Set before aws_call_start(): an answer longer than the op's cap
	 * comes back as AWS_STATE "ResponseTooLarge" instead of being
	 * retried, for a caller that can ask for less (GetRecords' Limit). */
	int overflow_to_caller;

	/* Set before aws_call_start(), optional: asked before every
	 * attempt, retries included. AWS_FENCE_SEND goes; AWS_FENCE_HOLD
	 * waits and asks again (100 ms); AWS_FENCE_DROP ends the call unsent
	 * with status AWS_STOPPED and code "LeaseLost" (a fleet's lease on
	 * the unit was lost: its writes must not land). */
	int (*fence)(void *arg);
	void *fence_arg;

	/* Result, valid in the done callback. */
	enum aws_status status;
	long http_status;
	char code[96];	  /* sanitised error code */
	char msg[512];	  /* error message: printable,
					   no secrets (fmt.h) */
	const char *body; /* response body (xfer.resp) */
	size_t bodylen;
	/* Attempts retried for throttling and for server errors (or the
	 * network): the capacity governor's signal (writer.c). */
	unsigned throttled;
	unsigned transient;

	/* Internal. */
	unsigned attempt;
	int64_t first_ms;
	int refreshed;
	int noticed; /* counted in cl->noticed */
	struct http_xfer xfer;
	struct http_timer timer;
	struct curl_slist *hdrs;
	aws_done_fn done;
	void *arg;
	int busy;
};

/* 0, or -1 with err (bad endpoint URL). */
int aws_client_init(struct aws_client *, struct http *, enum endpoint_service,
    const char *region, const char *override, struct creds_provider *,
    struct aws_stats *, char *err, size_t errlen);
void aws_client_clear(struct aws_client *);
void aws_policy_default(struct aws_policy *);

void aws_call_init(struct aws_call *, struct aws_client *, const char *op);
/* Send call->req; retries as the policy says; done() once, at the end. */
void aws_call_start(struct aws_call *, aws_done_fn, void *arg);
/* Abandon an in-flight call (no callback). */
void aws_call_abort(struct aws_call *);
/* Free buffers; the call can be reused after aws_call_init(). */
void aws_call_cleanup(struct aws_call *);
/*
 * Run the loop until this call is done (start-up and preflight). Gives up
 * with AWS_STOPPED once http_interrupted() (SIGINT/SIGTERM).
 */
enum aws_status aws_call_sync(struct aws_call *);

/*
 * The most bytes an answer to op may have (a request body of reqlen bytes);
 * a longer one is cut off and retried as a transient error. Derived from
 * each operation's documented limits (docs/architecture.md, "Response
 * caps"): BatchWriteItem at most its own request back (UnprocessedItems)
 * plus AWS_CAP_SMALL; single-item operations AWS_CAP_ITEM; DescribeTable
 * (and the table calls) AWS_CAP_TABLE; DescribeStream, GetShardIterator
 * and the List calls AWS_CAP_SMALL; Scan, Query, GetRecords and anything
 * not listed AWS_CAP_PAGE.
 */
/*
 * A service's clock, from the Date header of its latest answer: the
 * source's ApproximateCreationDateTime is on its clock, not the host's.
 * aws_server_ms(): now on that server, epoch ms (the host's clock until
 * an answer has been seen). aws_server_offset(): 1 and the estimate of
 * server - host in ms (Date has one-second resolution), or 0 if none yet.
 */
int64_t aws_server_ms(const struct aws_client *);
int aws_server_offset(const struct aws_client *, int64_t *offset_ms);

#define AWS_CAP_PAGE  (20u * 1024 * 1024)
#define AWS_CAP_ITEM  (6u * 1024 * 1024)
#define AWS_CAP_TABLE (4u * 1024 * 1024)
#define AWS_CAP_SMALL (1u * 1024 * 1024)
size_t aws_response_cap(const char *op, size_t reqlen);

#endif
