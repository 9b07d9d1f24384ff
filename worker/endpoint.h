/* endpoint.h: service endpoint URLs from region, plan overrides and env. */
#ifndef ENDPOINT_H
#define ENDPOINT_H

enum endpoint_service {
	ENDPOINT_DYNAMODB = 0,
	ENDPOINT_STREAMS,
	ENDPOINT_STS,
};

/*
 * The endpoint URL (no trailing slash) for service in region: override if
 * non-NULL and non-empty, else AWS_ENDPOINT_URL_<SERVICE>, else
 * AWS_ENDPOINT_URL, else the regional AWS hostname (https). Allocated.
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true skips the environment.
 */
char *endpoint_resolve(enum endpoint_service, const char *region,
    const char *override);

/* SigV4 signing name: "dynamodb" for DynamoDB and Streams, "sts". */
const char *endpoint_signing_name(enum endpoint_service);

/*
 * Split a URL into scheme ("http"/"https"), host, port and the Host header
 * value curl sends (host, or host:port for a non-default port).
 * Returns 0 or -1 (unsupported scheme, bad port, credentials in URL).
 */
struct endpoint_url {
	char scheme[8];
	char host[256];
	int port;
	char hosthdr[272];
	char path[256]; /* "/" if none */
};
int endpoint_parse(const char *url, struct endpoint_url *);

/* 1 if the host is a loopback address: localhost, 127.0.0.0/8, [::1]. */
int endpoint_is_loopback(const struct endpoint_url *);

/*
 * Plain http carries the signed requests and the session token in
 * cleartext: it is accepted for a loopback host (DynamoDB Local, a test
 * proxy) or when the user allowed it (allow_insecure_http); https always.
 * Returns 0, or -1 with err saying why and what to do. what names the
 * endpoint's use ("source DynamoDB").
 */
int endpoint_check_secure(const struct endpoint_url *, const char *url,
    const char *what, int allow_insecure, char *err, size_t errlen);

#endif
