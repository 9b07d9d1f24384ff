/* control.c: the operator control socket: codec (pure) and server. */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "budget.h"
#include "buf.h"
#include "compat.h"
#include "control.h"
#include "fmt.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "proto.h"
#include "settings.h"
#include "sup.h"
#include "utf8.h"
#include "xmalloc.h"
#include "xtime.h"

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

static const char *const control_cmd_names[CONTROL_CMD_MAX] = {
	[CONTROL_LIST] = "list",
	[CONTROL_STOP] = "stop",
	[CONTROL_START] = "start",
	[CONTROL_RESTART] = "restart",
	[CONTROL_STATUS] = "status",
	[CONTROL_LIMIT] = "limit",
	[CONTROL_FLEET] = "fleet",
};

const char *
control_cmd_name(enum control_cmd c)
{
	if ((unsigned)c >= CONTROL_CMD_MAX)
		return NULL;
	return control_cmd_names[c];
}

/* ------------------------------------------------------------------ codec */

/* Copy a text field, cut on a UTF-8 character boundary to fit. */
static void
copy_text(char *dst, const char *src, size_t size)
{
	size_t n = utf8_cut(src, strlen(src), size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * The members named in f[] of the one JSON object in [p, end): anything
 * but whitespace after it, a malformed object or a known member given
 * twice is an error; unknown members are ignored.
 */
static int
cobj_scan(const char *p, const char *end, struct json_field *f, size_t n,
    const char *what, char *err, size_t errlen)
{
	struct jspan obj;
	size_t dup;

	switch (json_doc(p, (size_t)(end - p), &obj, NULL)) {
	case 0:
		break;
	case JSON_DOC_TRAILING:
		return json_err(err, errlen, "trailing data after the JSON %s",
		    what);
	default:
		return json_err(err, errlen, "%s is not a JSON object", what);
	}
	switch (json_fields(&obj, f, n, &dup)) {
	case 0:
		return 0;
	case JSON_FIELDS_DUP:
		return json_err(err, errlen, "%s: field \"%s\" is given twice",
		    what, f[dup].name);
	default:
		return json_err(err, errlen, "%s is not a JSON object", what);
	}
}

/* A JSON integer without sign, fraction or leading zero, exactly. */
static int
parse_u64(const struct jspan *s, uint64_t *out)
{
	int neg;

	return json_int(s, &neg, out) == 0 && !neg ? 0 : -1;
}

static int
cget_u64(const struct json_field *f, uint64_t max, uint64_t *out,
    const char *what, char *err, size_t errlen)
{
	if (parse_u64(&f->v, out) == -1 || *out > max)
		return json_err(err, errlen,
		    "%s: field \"%s\" must be an "
		    "integer from 0 to %llu",
		    what, f->name, (unsigned long long)max);
	return 0;
}

static int
cget_bool(const struct json_field *f, int *out, const char *what, char *err,
    size_t errlen)
{
	if (json_bool(&f->v, out) == -1)
		return json_err(err, errlen,
		    "%s: field \"%s\" must be true or "
		    "false",
		    what, f->name);
	return 0;
}

static int
cget_str(const struct json_field *f, char *out, size_t len, int nonempty,
    const char *what, char *err, size_t errlen)
{
	enum json_str_err e;
	size_t n;

	switch ((e = json_string(&f->v, out, len, &n))) {
	case JSON_STR_OK:
		break;
	case JSON_STR_TOO_LONG:
		return json_err(err, errlen,
		    "%s: field \"%s\" is longer than "
		    "%zu bytes",
		    what, f->name, len - 1);
	case JSON_STR_NUL:
		return json_err(err, errlen,
		    "%s: field \"%s\" contains a NUL "
		    "byte",
		    what, f->name);
	default:
		return json_err(err, errlen, "%s: field \"%s\" %s", what,
		    f->name, json_str_why(e));
	}
	if (nonempty && n == 0)
		return json_err(err, errlen, "%s: field \"%s\" is empty", what,
		    f->name);
	return 0;
}

/* "v" first, so that a newer peer is told what it is, not a detail. */
static int
check_version(const struct json_field *v, const char *what, char *err,
    size_t errlen)
{
	uint64_t n;

	if (!v->seen)
		return json_err(err, errlen, "%s: missing field \"v\"", what);
	if (parse_u64(&v->v, &n) == -1)
		return json_err(err, errlen,
		    "%s: field \"v\" must be an "
		    "integer",
		    what);
	if (n != CONTROL_VERSION)
		return json_err(err, errlen,
		    "unsupported control protocol "
		    "version %llu (this ddb-sync speaks %d)",
		    (unsigned long long)n, CONTROL_VERSION);
	return 0;
}

int
control_request_encode(const struct control_request *r, char *out, size_t len)
{
	const char *name = control_cmd_name(r->cmd);
	struct buf b;
	int rc = 0;

	if (name == NULL ||
	    (r->cmd != CONTROL_LIST && r->cmd != CONTROL_STATUS &&
		((r->pair[0] == '\0' && r->cmd != CONTROL_FLEET) ||
		    strnlen(r->pair, sizeof(r->pair)) > PLAN_NAME_MAX)) ||
	    (r->cmd == CONTROL_LIMIT && r->read[0] == '\0' &&
		r->write[0] == '\0')) {
		errno = EINVAL;
		return -1;
	}
	buf_init(&b, CONTROL_REQUEST_MAX);
	rc |= buf_printf(&b, "{\"v\":%d,\"cmd\":\"%s\"", CONTROL_VERSION, name);
	if (r->cmd != CONTROL_LIST && r->cmd != CONTROL_STATUS &&
	    r->pair[0] != '\0') {
		rc |= buf_adds(&b, ",\"pair\":");
		rc |= buf_json_str(&b, r->pair);
	}
	if (r->cmd == CONTROL_LIMIT && r->read[0] != '\0') {
		rc |= buf_adds(&b, ",\"read\":");
		rc |= buf_json_str(&b, r->read);
	}
	if (r->cmd == CONTROL_LIMIT && r->write[0] != '\0') {
		rc |= buf_adds(&b, ",\"write\":");
		rc |= buf_json_str(&b, r->write);
	}
	rc |= buf_adds(&b, "}\n");
	if (rc != 0 || b.len + 1 > len) {
		buf_free(&b);
		errno = ENOSPC;
		return -1;
	}
	memcpy(out, b.data, b.len + 1);
	rc = (int)b.len;
	buf_free(&b);
	return rc;
}

int
control_request_decode(const char *line, size_t len, struct control_request *r,
    char *err, size_t errlen)
{
	struct json_field f[] = {
		{ .name = "v" },
		{ .name = "cmd" },
		{ .name = "pair" },
		{ .name = "read" },
		{ .name = "write" },
	};
	char cmd[CONTROL_WORD_MAX], q[PLAN_QUOTE_LEN];
	const char *what = "request";
	int i;

	memset(r, 0, sizeof(*r));
	if (len >= CONTROL_REQUEST_MAX)
		return json_err(err, errlen, "request longer than %d bytes",
		    CONTROL_REQUEST_MAX - 1);
	if (cobj_scan(line, line + len, f, nitems(f), what, err, errlen) ==
		-1 ||
	    check_version(&f[0], what, err, errlen) == -1)
		return -1;
	if (!f[1].seen)
		return json_err(err, errlen, "request: missing field \"cmd\"");
	if (cget_str(&f[1], cmd, sizeof(cmd), 1, what, err, errlen) == -1)
		return -1;
	for (i = 0; i < CONTROL_CMD_MAX; i++)
		if (strcmp(cmd, control_cmd_names[i]) == 0)
			break;
	if (i == CONTROL_CMD_MAX)
		return json_err(err, errlen,
		    "unknown command '%s' (list, status, "
		    "stop, start, restart, limit, fleet)",
		    plan_quote(q, cmd));
	r->cmd = (enum control_cmd)i;
	/* list and status take no pair; one sent anyway is ignored like any
	 * unknown field, so that a later "list one pair" stays compatible. */
	if (r->cmd == CONTROL_LIST || r->cmd == CONTROL_STATUS)
		return 0;
	/* fleet: a pair is optional (ctl fleet stop|start NAME checks it
	 * is one of the plan's). */
	if (!f[2].seen && r->cmd == CONTROL_FLEET)
		return 0;
	if (!f[2].seen)
		return json_err(err, errlen, "%s: missing field \"pair\"", cmd);
	if (cget_str(&f[2], r->pair, sizeof(r->pair), 1, cmd, err, errlen) ==
	    -1)
		return -1;
	if (r->cmd != CONTROL_LIMIT)
		return 0;
	if ((f[3].seen &&
		cget_str(&f[3], r->read, sizeof(r->read), 1, cmd, err,
		    errlen) == -1) ||
	    (f[4].seen &&
		cget_str(&f[4], r->write, sizeof(r->write), 1, cmd, err,
		    errlen) == -1))
		return -1;
	if (!f[3].seen && !f[4].seen)
		return json_err(err, errlen,
		    "limit: give \"read\" or "
		    "\"write\" (or both)");
	return 0;
}

void
control_pair_from_child(const struct child *c, struct control_pair *p)
{
	memset(p, 0, sizeof(*p));
	copy_text(p->name, c->pair->name, sizeof(p->name));
	copy_text(p->label, c->label, sizeof(p->label));
	copy_text(p->state, child_state_name(c->state), sizeof(p->state));
	p->pid = c->pid > 0 ? (int64_t)c->pid : -1;
	p->stopping = c->pid > 0 && c->stop_requested;
	copy_text(p->backfill, proto_phase_state_name(c->backfill),
	    sizeof(p->backfill));
	copy_text(p->stream, proto_phase_state_name(c->stream),
	    sizeof(p->stream));
	p->items_written = metrics_items_written(c);
	p->stream_written = c->prog.stream_written;
	p->restarts = c->restarts;
	copy_text(p->last_error, c->last_error, sizeof(p->last_error));
	plan_limit_str(&c->pair->read_limit, p->read_limit,
	    sizeof(p->read_limit));
	plan_limit_str(&c->pair->write_limit, p->write_limit,
	    sizeof(p->write_limit));
	p->read_share = c->pid > 0 ? (int64_t)(c->prog.read_limit + 0.5) : 0;
	p->write_share = c->pid > 0 ? (int64_t)(c->prog.write_limit + 0.5) : 0;
	p->rcu_per_s = c->pid > 0 && c->rcu_rate >= 0 &&
		c->pair->consumed_capacity ?
	    (int64_t)(c->rcu_rate + 0.5) :
	    -1;
	p->wcu_per_s = c->pid > 0 && c->wcu_rate >= 0 &&
		c->pair->consumed_capacity ?
	    (int64_t)(c->wcu_rate + 0.5) :
	    -1;
	p->spool_bytes = p->spool_oldest_age_s = -1;
	if (c->pid > 0 && proto_spool_shown(&c->prog)) {
		p->spool_bytes = c->prog.spool_bytes > INT64_MAX ?
		    INT64_MAX :
		    (int64_t)c->prog.spool_bytes;
		if (c->prog.spool_oldest_ms >= 0)
			p->spool_oldest_age_s = c->prog.spool_oldest_ms / 1000;
		p->spool_paused = c->prog.spool_paused;
	}
	p->leases_held = p->leases_lost = -1;
	if (c->sup != NULL && c->sup->host_id != NULL) {
		uint64_t lost = c->acc.leases_lost + c->prog.leases_lost;

		p->leases_held = c->pid > 0 ? (int64_t)c->prog.leases_held : 0;
		p->leases_lost = lost > INT64_MAX ? INT64_MAX : (int64_t)lost;
	}
}

/* An optional integer of a pair: null when < 0 (see cget_opt). */
static int
put_opt(struct buf *b, const char *key, int64_t v)
{
	if (v < 0)
		return buf_printf(b, ",\"%s\":null", key);
	return buf_printf(b, ",\"%s\":%lld", key, (long long)v);
}

static int
pair_encode(struct buf *b, const struct control_pair *p)
{
	int rc = 0;

	rc |= buf_adds(b, "{\"name\":");
	rc |= buf_json_str(b, p->name);
	rc |= buf_adds(b, ",\"label\":");
	rc |= buf_json_str(b, p->label);
	rc |= buf_adds(b, ",\"state\":");
	rc |= buf_json_str(b, p->state);
	if (p->pid > 0)
		rc |= buf_printf(b, ",\"pid\":%lld", (long long)p->pid);
	else
		rc |= buf_adds(b, ",\"pid\":null");
	rc |= buf_printf(b, ",\"stopping\":%s", p->stopping ? "true" : "false");
	rc |= buf_adds(b, ",\"backfill\":");
	rc |= buf_json_str(b, p->backfill);
	rc |= buf_adds(b, ",\"stream\":");
	rc |= buf_json_str(b, p->stream);
	rc |= buf_printf(b,
	    ",\"items_written\":%llu,\"stream_written\":%llu,"
	    "\"restarts\":%llu,\"last_error\":",
	    (unsigned long long)p->items_written,
	    (unsigned long long)p->stream_written,
	    (unsigned long long)p->restarts);
	rc |= buf_json_str(b, p->last_error);
	rc |= buf_adds(b, ",\"read_limit\":");
	rc |= buf_json_str(b,
	    p->read_limit[0] != '\0' ? p->read_limit : "none");
	rc |= buf_adds(b, ",\"write_limit\":");
	rc |= buf_json_str(b,
	    p->write_limit[0] != '\0' ? p->write_limit : "none");
	rc |= buf_printf(b, ",\"read_share\":%lld,\"write_share\":%lld",
	    (long long)p->read_share, (long long)p->write_share);
	rc |= put_opt(b, "rcu_per_s", p->rcu_per_s);
	rc |= put_opt(b, "wcu_per_s", p->wcu_per_s);
	rc |= put_opt(b, "spool_bytes", p->spool_bytes);
	rc |= put_opt(b, "spool_oldest_age_s", p->spool_oldest_age_s);
	rc |= buf_printf(b, ",\"spool_paused\":%s",
	    p->spool_paused ? "true" : "false");
	rc |= put_opt(b, "leases_held", p->leases_held);
	rc |= put_opt(b, "leases_lost", p->leases_lost);
	rc |= buf_addc(b, '}');
	return rc;
}

/* An optional integer of a pair: absent or null gives def. */
static int
cget_opt(const struct json_field *f, int64_t def, int64_t *out,
    const char *what, char *err, size_t errlen)
{
	uint64_t v;

	*out = def;
	if (!f->seen || jscan_eq(&f->v, "null"))
		return 0;
	if (cget_u64(f, INT64_MAX, &v, what, err, errlen) == -1)
		return -1;
	*out = (int64_t)v;
	return 0;
}

int
control_response_list(struct buf *b, const struct control_pair *p, size_t n)
{
	int rc = 0;

	rc |= buf_printf(b, "{\"v\":%d,\"ok\":true,\"pairs\":[",
	    CONTROL_VERSION);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc |= buf_addc(b, ',');
		rc |= pair_encode(b, &p[i]);
	}
	rc |= buf_adds(b, "]}\n");
	return rc;
}

int
control_response_pair(struct buf *b, const struct control_pair *p)
{
	int rc = 0;

	rc |= buf_printf(b, "{\"v\":%d,\"ok\":true,\"pair\":", CONTROL_VERSION);
	rc |= pair_encode(b, p);
	rc |= buf_adds(b, "}\n");
	return rc;
}

int
control_response_status(struct buf *b, const struct metrics_pair *p, size_t n,
    const struct metrics_global *g)
{
	int rc = 0;

	rc |= buf_printf(b,
	    "{\"v\":%d,\"ok\":true,\"status\":", CONTROL_VERSION);
	rc |= metrics_render_json(p, n, g, b);
	rc |= buf_adds(b, "}\n");
	return rc == 0 ? 0 : -1;
}

int
control_fleet_from_sup(const struct sup *s, struct control_fleet *f)
{
	const struct plan_coord *co = s->plan != NULL ? s->plan->coord : NULL;

	memset(f, 0, sizeof(*f));
	if (co == NULL)
		return -1;
	copy_text(f->table, co->table, sizeof(f->table));
	copy_text(f->region, co->region, sizeof(f->region));
	if (co->role_arn != NULL)
		copy_text(f->role_arn, co->role_arn, sizeof(f->role_arn));
	if (co->endpoint != NULL)
		copy_text(f->endpoint_url, co->endpoint,
		    sizeof(f->endpoint_url));
	f->allow_insecure_http = co->allow_insecure_http;
	if (s->host_id != NULL)
		copy_text(f->host_id, s->host_id, sizeof(f->host_id));
	if (s->worker_path != NULL)
		copy_text(f->worker, s->worker_path, sizeof(f->worker));
	return 0;
}

/* A string member, or null when empty. */
static int
put_str_opt(struct buf *b, const char *key, const char *v)
{
	if (buf_printf(b, ",\"%s\":", key) == -1)
		return -1;
	return *v != '\0' ? buf_json_str(b, v) : buf_adds(b, "null");
}

int
control_response_fleet(struct buf *b, const struct control_fleet *f)
{
	int rc = 0;

	rc |= buf_printf(b,
	    "{\"v\":%d,\"ok\":true,\"fleet\":", CONTROL_VERSION);
	if (f == NULL)
		return rc | buf_adds(b, "null}\n");
	rc |= buf_adds(b, "{\"table\":");
	rc |= buf_json_str(b, f->table);
	rc |= buf_adds(b, ",\"region\":");
	rc |= buf_json_str(b, f->region);
	rc |= put_str_opt(b, "role_arn", f->role_arn);
	rc |= put_str_opt(b, "endpoint_url", f->endpoint_url);
	rc |= buf_printf(b, ",\"allow_insecure_http\":%s",
	    f->allow_insecure_http ? "true" : "false");
	rc |= put_str_opt(b, "host_id", f->host_id);
	rc |= buf_adds(b, ",\"worker\":");
	rc |= buf_json_str(b, f->worker);
	rc |= buf_adds(b, "}}\n");
	return rc;
}

static int
fleet_decode(const struct jspan *obj, struct control_fleet *f, char *err,
    size_t errlen)
{
	struct json_field fl[] = {
		{ .name = "table" },
		{ .name = "region" },
		{ .name = "role_arn" },
		{ .name = "endpoint_url" },
		{ .name = "allow_insecure_http" },
		{ .name = "host_id" },
		{ .name = "worker" },
	};
	struct {
		char *dst;
		size_t len;
		int required;
	} str[] = {
		{ f->table, sizeof(f->table), 1 },
		{ f->region, sizeof(f->region), 1 },
		{ f->role_arn, sizeof(f->role_arn), 0 },
		{ f->endpoint_url, sizeof(f->endpoint_url), 0 },
		{ NULL, 0, 0 },
		{ f->host_id, sizeof(f->host_id), 0 },
		{ f->worker, sizeof(f->worker), 1 },
	};
	const char *what = "fleet";

	memset(f, 0, sizeof(*f));
	if (cobj_scan(obj->p, obj->p + obj->len, fl, nitems(fl), what, err,
		errlen) == -1)
		return -1;
	for (size_t i = 0; i < nitems(fl); i++) {
		if (str[i].dst == NULL)
			continue;
		if (!fl[i].seen && str[i].required)
			return json_err(err, errlen,
			    "fleet: missing field \"%s\"", fl[i].name);
		if (!fl[i].seen || jscan_eq(&fl[i].v, "null"))
			continue;
		if (cget_str(&fl[i], str[i].dst, str[i].len, 1, what, err,
			errlen) == -1)
			return -1;
	}
	if (fl[4].seen &&
	    cget_bool(&fl[4], &f->allow_insecure_http, what, err, errlen) == -1)
		return -1;
	return 0;
}

int
control_response_error(struct buf *b, const char *msg)
{
	char text[CONTROL_TEXT_MAX];
	int rc = 0;

	copy_text(text, msg, sizeof(text));
	rc |= buf_printf(b,
	    "{\"v\":%d,\"ok\":false,\"error\":", CONTROL_VERSION);
	rc |= buf_json_str(b, text);
	rc |= buf_adds(b, "}\n");
	return rc;
}

static int
pair_decode(const struct jspan *obj, struct control_pair *p, char *err,
    size_t errlen)
{
	enum {
		PF_NAME,
		PF_LABEL,
		PF_STATE,
		PF_PID,
		PF_STOPPING,
		PF_BACKFILL,
		PF_STREAM,
		PF_ITEMS,
		PF_SWRITTEN,
		PF_RESTARTS,
		PF_LASTERR,
		PF_REQUIRED,
		PF_RLIMIT = PF_REQUIRED,
		PF_WLIMIT,
		PF_RSHARE,
		PF_WSHARE,
		PF_RCU,
		PF_WCU,
		PF_SPBYTES,
		PF_SPAGE,
		PF_SPPAUSED,
		PF_LHELD,
		PF_LLOST,
		PF_N
	};
	struct json_field f[PF_N] = {
		{ .name = "name" },
		{ .name = "label" },
		{ .name = "state" },
		{ .name = "pid" },
		{ .name = "stopping" },
		{ .name = "backfill" },
		{ .name = "stream" },
		{ .name = "items_written" },
		{ .name = "stream_written" },
		{ .name = "restarts" },
		{ .name = "last_error" },
		{ .name = "read_limit" },
		{ .name = "write_limit" },
		{ .name = "read_share" },
		{ .name = "write_share" },
		{ .name = "rcu_per_s" },
		{ .name = "wcu_per_s" },
		{ .name = "spool_bytes" },
		{ .name = "spool_oldest_age_s" },
		{ .name = "spool_paused" },
		{ .name = "leases_held" },
		{ .name = "leases_lost" },
	};
	const char *what = "pair";
	uint64_t pid;
	size_t i;

	memset(p, 0, sizeof(*p));
	if (cobj_scan(obj->p, obj->p + obj->len, f, PF_N, what, err, errlen) ==
	    -1)
		return -1;
	for (i = 0; i < PF_REQUIRED; i++)
		if (!f[i].seen)
			return json_err(err, errlen,
			    "pair: missing field \"%s\"", f[i].name);
	if (jscan_eq(&f[PF_PID].v, "null"))
		p->pid = -1;
	else if (cget_u64(&f[PF_PID], INT64_MAX, &pid, what, err, errlen) == -1)
		return -1;
	else
		p->pid = pid > 0 ? (int64_t)pid : -1;
	if (cget_str(&f[PF_NAME], p->name, sizeof(p->name), 1, what, err,
		errlen) == -1 ||
	    cget_str(&f[PF_LABEL], p->label, sizeof(p->label), 0, what, err,
		errlen) == -1 ||
	    cget_str(&f[PF_STATE], p->state, sizeof(p->state), 1, what, err,
		errlen) == -1 ||
	    cget_bool(&f[PF_STOPPING], &p->stopping, what, err, errlen) == -1 ||
	    cget_str(&f[PF_BACKFILL], p->backfill, sizeof(p->backfill), 1, what,
		err, errlen) == -1 ||
	    cget_str(&f[PF_STREAM], p->stream, sizeof(p->stream), 1, what, err,
		errlen) == -1 ||
	    cget_u64(&f[PF_ITEMS], UINT64_MAX, &p->items_written, what, err,
		errlen) == -1 ||
	    cget_u64(&f[PF_SWRITTEN], UINT64_MAX, &p->stream_written, what, err,
		errlen) == -1 ||
	    cget_u64(&f[PF_RESTARTS], UINT64_MAX, &p->restarts, what, err,
		errlen) == -1 ||
	    cget_str(&f[PF_LASTERR], p->last_error, sizeof(p->last_error), 0,
		what, err, errlen) == -1 ||
	    (f[PF_RLIMIT].seen &&
		cget_str(&f[PF_RLIMIT], p->read_limit, sizeof(p->read_limit), 1,
		    what, err, errlen) == -1) ||
	    (f[PF_WLIMIT].seen &&
		cget_str(&f[PF_WLIMIT], p->write_limit, sizeof(p->write_limit),
		    1, what, err, errlen) == -1) ||
	    cget_opt(&f[PF_RSHARE], 0, &p->read_share, what, err, errlen) ==
		-1 ||
	    cget_opt(&f[PF_WSHARE], 0, &p->write_share, what, err, errlen) ==
		-1 ||
	    cget_opt(&f[PF_RCU], -1, &p->rcu_per_s, what, err, errlen) == -1 ||
	    cget_opt(&f[PF_WCU], -1, &p->wcu_per_s, what, err, errlen) == -1 ||
	    cget_opt(&f[PF_SPBYTES], -1, &p->spool_bytes, what, err, errlen) ==
		-1 ||
	    cget_opt(&f[PF_SPAGE], -1, &p->spool_oldest_age_s, what, err,
		errlen) == -1 ||
	    (f[PF_SPPAUSED].seen &&
		cget_bool(&f[PF_SPPAUSED], &p->spool_paused, what, err,
		    errlen) == -1) ||
	    cget_opt(&f[PF_LHELD], -1, &p->leases_held, what, err, errlen) ==
		-1 ||
	    cget_opt(&f[PF_LLOST], -1, &p->leases_lost, what, err, errlen) ==
		-1)
		return -1;
	if (p->read_limit[0] == '\0')
		strlcpy(p->read_limit, "none", sizeof(p->read_limit));
	if (p->write_limit[0] == '\0')
		strlcpy(p->write_limit, "none", sizeof(p->write_limit));
	return 0;
}

int
control_response_decode(const char *line, size_t len,
    struct control_response *r, char *err, size_t errlen)
{
	enum {
		RF_V,
		RF_OK,
		RF_ERROR,
		RF_PAIRS,
		RF_PAIR,
		RF_STATUS,
		RF_FLEET,
		RF_N
	};
	struct json_field f[RF_N] = {
		{ .name = "v" },
		{ .name = "ok" },
		{ .name = "error" },
		{ .name = "pairs" },
		{ .name = "pair" },
		{ .name = "status" },
		{ .name = "fleet" },
	};
	const char *what = "response", *p, *end;
	struct jspan el;
	long n;
	int rc;

	memset(r, 0, sizeof(*r));
	if (len >= CONTROL_RESPONSE_MAX)
		return json_err(err, errlen, "response longer than %d bytes",
		    CONTROL_RESPONSE_MAX - 1);
	if (cobj_scan(line, line + len, f, RF_N, what, err, errlen) == -1 ||
	    check_version(&f[RF_V], what, err, errlen) == -1)
		return -1;
	if (!f[RF_OK].seen)
		return json_err(err, errlen, "response: missing field \"ok\"");
	if (cget_bool(&f[RF_OK], &r->ok, what, err, errlen) == -1)
		return -1;
	if (!r->ok) {
		if (!f[RF_ERROR].seen)
			return json_err(err, errlen,
			    "response: missing field "
			    "\"error\"");
		return cget_str(&f[RF_ERROR], r->error, sizeof(r->error), 0,
		    what, err, errlen);
	}
	if (f[RF_STATUS].seen) {
		if (f[RF_STATUS].v.p[0] != '{')
			return json_err(err, errlen,
			    "response: field "
			    "\"status\" must be an object");
		r->has_status = 1;
	}
	if (f[RF_FLEET].seen) {
		r->has_fleet = 1;
		if (jscan_eq(&f[RF_FLEET].v, "null"))
			return 0;
		if (f[RF_FLEET].v.p[0] != '{')
			return json_err(err, errlen,
			    "response: field \"fleet\" must be an object or "
			    "null");
		r->fleet = xcalloc(1, sizeof(*r->fleet));
		return fleet_decode(&f[RF_FLEET].v, r->fleet, err, errlen);
	}
	if (f[RF_PAIR].seen) {
		r->pairs = xcalloc(1, sizeof(*r->pairs));
		r->npairs = 1;
		return pair_decode(&f[RF_PAIR].v, r->pairs, err, errlen);
	}
	if (!f[RF_PAIRS].seen)
		return 0;
	/* A plan holds at most PLAN_MAX_PAIRS: never allocate for more. */
	if (f[RF_PAIRS].v.p[0] != '[' || (n = jscan_count(&f[RF_PAIRS].v)) < 0)
		return json_err(err, errlen,
		    "response: field \"pairs\" must be an "
		    "array");
	if (n > PLAN_MAX_PAIRS)
		return json_err(err, errlen, "response: more than %d pairs",
		    PLAN_MAX_PAIRS);
	r->pairs = xcalloc((size_t)n + 1, sizeof(*r->pairs));
	p = f[RF_PAIRS].v.p;
	end = p + f[RF_PAIRS].v.len;
	if (jscan_open(&p, end, '[') == -1)
		return json_err(err, errlen,
		    "response: field \"pairs\" must be an "
		    "array");
	while (
	    (rc = jscan_element(&p, end, &el)) == 1 && r->npairs < (size_t)n) {
		if (pair_decode(&el, &r->pairs[r->npairs], err, errlen) == -1)
			return -1;
		r->npairs++;
	}
	if (rc == -1)
		return json_err(err, errlen,
		    "response: field \"pairs\" must be an "
		    "array");
	return 0;
}

void
control_response_free(struct control_response *r)
{
	free(r->pairs);
	r->pairs = NULL;
	r->npairs = 0;
	free(r->fleet);
	r->fleet = NULL;
}

int
control_socket_path(const char *state_dir, char *buf, size_t len)
{
	struct sockaddr_un sun;
	int n;

	n = snprintf(buf, len, "%s/%s", state_dir, CONTROL_SOCKET_NAME);
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sun.sun_path))
		return -1;
	return 0;
}

/* ----------------------------------------------------------------- server */

struct control_client {
	struct control *ctl;
	LIST_ENTRY(control_client) entry;
	int fd;
	struct event *ev_read;
	struct event *ev_write;
	struct event *ev_timer; /* the whole exchange's deadline */
	struct buf in;		/* at most CONTROL_REQUEST_MAX */
	struct buf out;		/* at most CONTROL_RESPONSE_MAX */
	size_t off;		/* bytes of out sent */
};

struct control {
	struct sup *sup;
	int fd;
	char path[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
	dev_t dev; /* our socket file, to remove only it */
	ino_t ino;
	struct event *ev_accept;
	struct event *ev_resume; /* accept paused when out of fds */
	LIST_HEAD(control_clients, control_client) clients;
	size_t nclients;
	int64_t timeout_ms;
	struct timeval timeout;
};

static void
client_free(struct control_client *cl)
{
	LIST_REMOVE(cl, entry);
	cl->ctl->nclients--;
	if (cl->ev_read != NULL)
		event_free(cl->ev_read);
	if (cl->ev_write != NULL)
		event_free(cl->ev_write);
	if (cl->ev_timer != NULL)
		event_free(cl->ev_timer);
	close(cl->fd);
	buf_free(&cl->in);
	buf_free(&cl->out);
	free(cl);
}

/* Send what is left of the answer; the connection ends once it is out. */
static void
client_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_client *cl = arg;
	ssize_t n;

	while (cl->off < cl->out.len) {
		n = send(cl->fd, cl->out.data + cl->off, cl->out.len - cl->off,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (!event_pending(cl->ev_write, EV_WRITE, NULL))
				event_add(cl->ev_write, NULL);
			return;
		}
		if (n == -1) {
			log_debug("control: send: %s", strerror(errno));
			break;
		}
		cl->off += (size_t)n;
	}
	client_free(cl);
}

static void
control_execute(struct sup *s, const struct control_request *r, struct buf *out)
{
	struct control_pair *pairs, one;
	struct metrics_pair *mp;
	struct metrics_global g;
	struct child *c;
	char err[512], q[PLAN_QUOTE_LEN], lb[16];
	int rc = -1;

	if (r->cmd == CONTROL_STATUS) {
		mp = xcalloc(s->nchildren + 1, sizeof(*mp));
		metrics_collect(s, mp, &g);
		if (control_response_status(out, mp, s->nchildren, &g) == -1) {
			buf_reset(out);
			control_response_error(out,
			    "the status is longer than "
			    "the protocol's maximum response");
		}
		free(mp);
		return;
	}
	if (r->cmd == CONTROL_LIST) {
		pairs = xcalloc(s->nchildren + 1, sizeof(*pairs));
		for (size_t i = 0; i < s->nchildren; i++)
			control_pair_from_child(&s->children[i], &pairs[i]);
		if (control_response_list(out, pairs, s->nchildren) == -1) {
			buf_reset(out);
			control_response_error(out,
			    "the list is longer than "
			    "the protocol's maximum response");
		}
		free(pairs);
		return;
	}
	if (r->cmd == CONTROL_FLEET) {
		struct control_fleet fl;

		if (r->pair[0] != '\0' && sup_find_pair(s, r->pair) == NULL) {
			snprintf(err, sizeof(err),
			    "no pair named '%s' ('ddb-sync ctl list' shows the "
			    "pairs)",
			    plan_quote(q, r->pair));
			control_response_error(out, err);
			return;
		}
		control_response_fleet(out,
		    control_fleet_from_sup(s, &fl) == 0 ? &fl : NULL);
		return;
	}
	if ((c = sup_find_pair(s, r->pair)) == NULL) {
		snprintf(err, sizeof(err),
		    "no pair named '%s' ('ddb-sync ctl "
		    "list' shows the pairs)",
		    plan_quote(q, r->pair));
		control_response_error(out, err);
		return;
	}
	err[0] = '\0';
	switch (r->cmd) {
	case CONTROL_STOP:
		rc = sup_pair_stop(c, err, sizeof(err));
		break;
	case CONTROL_START:
		rc = sup_pair_start(c, err, sizeof(err));
		break;
	case CONTROL_RESTART:
		rc = sup_pair_restart(c, err, sizeof(err));
		break;
	case CONTROL_LIMIT:
		rc = budget_set(s, c, r->read[0] != '\0' ? r->read : NULL,
		    r->write[0] != '\0' ? r->write : NULL, err, sizeof(err));
		if (rc == 0)
			output_line(c, LOG_LVL_INFO,
			    "Capacity limits changed "
			    "by the operator: read %s, write %s (the "
			    "tables' pairs share them)",
			    plan_limit_str(&c->pair->read_limit, q, sizeof(q)),
			    plan_limit_str(&c->pair->write_limit, lb,
				sizeof(lb)));
		break;
	default:
		snprintf(err, sizeof(err), "command not handled");
		break;
	}
	if (rc == -1) {
		control_response_error(out, err);
		return;
	}
	control_pair_from_child(c, &one);
	control_response_pair(out, &one);
}

static void
client_answer(struct control_client *cl, const char *line, size_t len,
    const char *error)
{
	struct control_request req;
	char err[512];

	event_del(cl->ev_read);
	if (error != NULL)
		control_response_error(&cl->out, error);
	else if (control_request_decode(line, len, &req, err, sizeof(err)) ==
	    -1)
		control_response_error(&cl->out, err);
	else {
		log_debug("control: %s %s", control_cmd_name(req.cmd),
		    req.pair);
		control_execute(cl->ctl->sup, &req, &cl->out);
	}
	client_write_cb(cl->fd, EV_WRITE, cl);
}

/* Read one request line (or up to EOF, for a peer that shut down its
 * writing side without a newline). */
static void
client_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_client *cl = arg;
	char tmp[512], err[64];
	const char *nl;
	size_t take;
	ssize_t n;

	for (;;) {
		n = read(cl->fd, tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n == -1 || (n == 0 && cl->in.len == 0)) {
			client_free(cl);
			return;
		}
		if (n == 0) {
			client_answer(cl, cl->in.data, cl->in.len, NULL);
			return;
		}
		nl = memchr(tmp, '\n', (size_t)n);
		take = nl != NULL ? (size_t)(nl - tmp) + 1 : (size_t)n;
		if (buf_add(&cl->in, tmp, take) == -1) {
			snprintf(err, sizeof(err),
			    "request longer than %d "
			    "bytes",
			    CONTROL_REQUEST_MAX - 1);
			client_answer(cl, NULL, 0, err);
			return;
		}
		if (nl != NULL) {
			client_answer(cl, cl->in.data, cl->in.len - 1, NULL);
			return;
		}
	}
}

static void
client_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_client *cl = arg;
	char dur[32];

	fmt_duration((uint64_t)cl->ctl->timeout_ms, dur, sizeof(dur));
	log_warnx("control: dropped a connection that did not finish within "
		  "%s (%s)",
	    dur,
	    cl->out.len > 0 ? "its answer was not read" :
			      "no complete request");
	client_free(cl);
}

/* Best effort, on a fresh socket whose buffer is empty: never blocks. */
static void
refuse(int fd, const char *why)
{
	struct buf b;

	buf_init(&b, CONTROL_TEXT_MAX * 2);
	if (control_response_error(&b, why) == 0)
		(void)send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	buf_free(&b);
	close(fd);
}

static void
client_new(struct control *ctl, int fd)
{
	struct control_client *cl = xcalloc(1, sizeof(*cl));
	struct event_base *base = ctl->sup->base;

	cl->ctl = ctl;
	cl->fd = fd;
	buf_init(&cl->in, CONTROL_REQUEST_MAX);
	buf_init(&cl->out, CONTROL_RESPONSE_MAX);
	cl->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, client_read_cb,
	    cl);
	cl->ev_write = event_new(base, fd, EV_WRITE | EV_PERSIST,
	    client_write_cb, cl);
	cl->ev_timer = evtimer_new(base, client_timeout_cb, cl);
	if (cl->ev_read == NULL || cl->ev_write == NULL || cl->ev_timer == NULL)
		fatalx("event_new");
	LIST_INSERT_HEAD(&ctl->clients, cl, entry);
	ctl->nclients++;
	event_add(cl->ev_read, NULL);
	evtimer_add(cl->ev_timer, &ctl->timeout);
}

static void
resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;

	event_add(ctl->ev_accept, NULL);
}

static void
accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct control *ctl = arg;
	struct timeval pause = { 1, 0 };
	struct ucred cr;
	socklen_t crlen;
	char why[160];
	int fd;

	for (;;) {
		fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EAGAIN)
				return;
			/* Out of descriptors: the listener would fire in a
			 * loop; the workers need fds more than ctl does. */
			log_warn("control: accept");
			event_del(ctl->ev_accept);
			evtimer_add(ctl->ev_resume, &pause);
			return;
		}
		crlen = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) ==
			-1 ||
		    crlen != sizeof(cr)) {
			log_warn("control: SO_PEERCRED");
			close(fd);
			continue;
		}
		if (cr.uid != geteuid()) {
			log_warnx(
			    "control: refused a connection from uid %ld "
			    "(pid %ld): only uid %ld may control this ddb-sync",
			    (long)cr.uid, (long)cr.pid, (long)geteuid());
			snprintf(why, sizeof(why),
			    "permission denied: only uid "
			    "%ld may control this ddb-sync",
			    (long)geteuid());
			refuse(fd, why);
			continue;
		}
		if (ctl->nclients >= CONTROL_MAX_CLIENTS) {
			refuse(fd,
			    "busy: too many control connections at "
			    "once; try again");
			continue;
		}
		client_new(ctl, fd);
	}
}

int
control_init(struct sup *s)
{
	struct control *ctl;
	struct sockaddr_un sun;
	struct stat st;
	int64_t ms;
	mode_t old;
	int r;

	ctl = xcalloc(1, sizeof(*ctl));
	ctl->sup = s;
	ctl->fd = -1;
	LIST_INIT(&ctl->clients);
	ms = settings_int(SETTING_CONTROL_TIMEOUT_MS);
	ctl->timeout_ms = ms;
	ctl->timeout.tv_sec = ms / 1000;
	ctl->timeout.tv_usec = (ms % 1000) * 1000;
	if (control_socket_path(s->state_dir, ctl->path, sizeof(ctl->path)) ==
	    -1) {
		log_warnx("state directory %s: its path is too long for the "
			  "control socket (at most %zu bytes with /%s); use a "
			  "shorter --state-dir",
		    s->state_dir, sizeof(ctl->path) - 1, CONTROL_SOCKET_NAME);
		goto fail;
	}
	/* The caller holds the state directory's lock, so a socket here
	 * was left by a run that died: nobody listens on it. */
	if (lstat(ctl->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s exists and is not a socket; remove it",
			    ctl->path);
			goto fail;
		}
		if (unlink(ctl->path) == -1 && errno != ENOENT) {
			log_warn("cannot remove the stale %s", ctl->path);
			goto fail;
		}
	} else if (errno != ENOENT) {
		log_warn("%s", ctl->path);
		goto fail;
	}
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (ctl->fd == -1) {
		log_warn("control: socket");
		goto fail;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, ctl->path, sizeof(sun.sun_path));
	/* 0600 from the start: no moment where others could connect. */
	old = umask(0177);
	r = bind(ctl->fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1) {
		log_warn("control: bind %s", ctl->path);
		goto fail;
	}
	if (lstat(ctl->path, &st) == 0) {
		ctl->dev = st.st_dev;
		ctl->ino = st.st_ino;
	}
	if (listen(ctl->fd, CONTROL_MAX_CLIENTS) == -1) {
		log_warn("control: listen %s", ctl->path);
		unlink(ctl->path);
		goto fail;
	}
	ctl->ev_accept = event_new(s->base, ctl->fd, EV_READ | EV_PERSIST,
	    accept_cb, ctl);
	ctl->ev_resume = evtimer_new(s->base, resume_cb, ctl);
	if (ctl->ev_accept == NULL || ctl->ev_resume == NULL)
		fatalx("event_new");
	event_add(ctl->ev_accept, NULL);
	s->control = ctl;
	log_debug("control socket %s", ctl->path);
	return 0;
fail:
	if (ctl->fd != -1)
		close(ctl->fd);
	free(ctl);
	return -1;
}

void
control_free(struct sup *s)
{
	struct control *ctl = s->control;
	struct stat st;

	if (ctl == NULL)
		return;
	while (!LIST_EMPTY(&ctl->clients))
		client_free(LIST_FIRST(&ctl->clients));
	if (ctl->ev_accept != NULL)
		event_free(ctl->ev_accept);
	if (ctl->ev_resume != NULL)
		event_free(ctl->ev_resume);
	close(ctl->fd);
	/* Only our own socket: never one a later run put there. */
	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	free(ctl);
	s->control = NULL;
}
