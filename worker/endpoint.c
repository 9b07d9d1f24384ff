/* endpoint.c: resolve service endpoints (region, overrides, AWS_ENDPOINT_URL*). */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "endpoint.h"
#include "xmalloc.h"

static const char *
env_nonempty(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0') ? v : NULL;
}

static char *
strip_slash(const char *url)
{
	char *s = xstrdup(url);
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

char *
endpoint_resolve(enum endpoint_service svc, const char *region,
    const char *override)
{
	const char *v, *ign, *suffix = "amazonaws.com";
	char *url;

	if (override != NULL && *override != '\0')
		return strip_slash(override);
	ign = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	if (ign == NULL || strcasecmp(ign, "true") != 0) {
		switch (svc) {
		case ENDPOINT_DYNAMODB:
			v = env_nonempty("AWS_ENDPOINT_URL_DYNAMODB");
			break;
		case ENDPOINT_STREAMS:
			v = env_nonempty("AWS_ENDPOINT_URL_DYNAMODB_STREAMS");
			break;
		default:
			v = env_nonempty("AWS_ENDPOINT_URL_STS");
			break;
		}
		if (v == NULL)
			v = env_nonempty("AWS_ENDPOINT_URL");
		if (v != NULL)
			return strip_slash(v);
	}
	if (region == NULL || *region == '\0')
		region = "us-east-1";
	if (strncmp(region, "cn-", 3) == 0)
		suffix = "amazonaws.com.cn";
	switch (svc) {
	case ENDPOINT_DYNAMODB:
		xasprintf(&url, "https://dynamodb.%s.%s", region, suffix);
		break;
	case ENDPOINT_STREAMS:
		xasprintf(&url, "https://streams.dynamodb.%s.%s", region,
		    suffix);
		break;
	default:
		xasprintf(&url, "https://sts.%s.%s", region, suffix);
		break;
	}
	return url;
}

const char *
endpoint_signing_name(enum endpoint_service svc)
{
	return svc == ENDPOINT_STS ? "sts" : "dynamodb";
}

int
endpoint_parse(const char *url, struct endpoint_url *eu)
{
	const char *p, *hstart, *hend, *pstart;
	int defport, n;
	size_t hl;

	memset(eu, 0, sizeof(*eu));
	if (strncasecmp(url, "https://", 8) == 0) {
		strlcpy(eu->scheme, "https", sizeof(eu->scheme));
		defport = 443;
		p = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		strlcpy(eu->scheme, "http", sizeof(eu->scheme));
		defport = 80;
		p = url + 7;
	} else
		return -1;
	hstart = p;
	pstart = p + strcspn(p, "/?#");
	if (memchr(hstart, '@', (size_t)(pstart - hstart)) != NULL)
		return -1; /* userinfo in an endpoint URL: refuse */
	if (*hstart == '[') {
		hend = memchr(hstart, ']', (size_t)(pstart - hstart));
		if (hend == NULL)
			return -1;
		hend++;
	} else
		hend = hstart + strcspn(hstart, ":/?#");
	hl = (size_t)(hend - hstart);
	if (hl == 0 || hl >= sizeof(eu->host))
		return -1;
	memcpy(eu->host, hstart, hl);
	/* Host names are case-insensitive; the signed Host value is not. */
	for (n = 0; eu->host[n] != '\0'; n++)
		eu->host[n] = (char)tolower((unsigned char)eu->host[n]);
	eu->port = defport;
	if (*hend == ':') {
		char *end;
		long port = strtol(hend + 1, &end, 10);

		if (end == hend + 1 || end != pstart || port < 1 ||
		    port > 65535)
			return -1;
		eu->port = (int)port;
	} else if (hend != pstart)
		return -1;
	if (eu->port == defport)
		n = snprintf(eu->hosthdr, sizeof(eu->hosthdr), "%s", eu->host);
	else
		n = snprintf(eu->hosthdr, sizeof(eu->hosthdr), "%s:%d",
		    eu->host, eu->port);
	if (n < 0 || (size_t)n >= sizeof(eu->hosthdr))
		return -1;
	if (*pstart == '/') {
		size_t pl = strcspn(pstart, "?#");

		if (pl >= sizeof(eu->path))
			return -1;
		memcpy(eu->path, pstart, pl);
	} else
		strlcpy(eu->path, "/", sizeof(eu->path));
	return 0;
}

int
endpoint_is_loopback(const struct endpoint_url *eu)
{
	unsigned char a[16];
	char in6[64];
	size_t n;

	if (strcmp(eu->host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, eu->host, a) == 1)
		return a[0] == 127;
	n = strlen(eu->host);
	if (n > 2 && eu->host[0] == '[' && eu->host[n - 1] == ']' &&
	    n - 2 < sizeof(in6)) {
		static const unsigned char lo6[16] = { [15] = 1 };

		memcpy(in6, eu->host + 1, n - 2);
		in6[n - 2] = '\0';
		if (inet_pton(AF_INET6, in6, a) == 1)
			return memcmp(a, lo6, sizeof(lo6)) == 0;
	}
	return 0;
}

int
endpoint_check_secure(const struct endpoint_url *eu, const char *url,
    const char *what, int allow_insecure, char *err, size_t errlen)
{
	if (strcmp(eu->scheme, "https") == 0 || endpoint_is_loopback(eu) ||
	    allow_insecure)
		return 0;
	snprintf(err, errlen,
	    "%s endpoint %s is plain http to a host that is "
	    "not loopback: refused (signed requests and the session token "
	    "would travel in cleartext); use https, or allow_insecure_http: "
	    "true for that side if the network is trusted",
	    what, url);
	return -1;
}
