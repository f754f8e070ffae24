package dialer_test

import (
	"fmt"
	"testing"

	"github.com/bolna-campaign/bolna-campaign/dialer"
)

// TestAPIErrorPredicates: each reply outside 2xx is what its predicates say, and nothing else,
// wrapped or not; the callers (the runner, the commands) compare no status codes of their own.
func TestAPIErrorPredicates(t *testing.T) {
	t.Parallel()
	type says struct{ retryable, server, client, rateLimited, badRequest, notFound, unauthorized, redirect, maybePlaced bool }
	cases := []struct {
		code int
		want says
	}{
		{302, says{redirect: true}},
		{400, says{client: true, badRequest: true}},
		{401, says{client: true, unauthorized: true}},
		{403, says{client: true, unauthorized: true}},
		{404, says{client: true, notFound: true}},
		{409, says{client: true}},
		{429, says{client: true, rateLimited: true, retryable: true}},
		{500, says{server: true, retryable: true, maybePlaced: true}},
		{503, says{server: true, retryable: true, maybePlaced: true}},
		{600, says{server: true, retryable: true, maybePlaced: true}}, // no server should: it proves nothing
	}
	for _, c := range cases {
		e := &dialer.APIError{Method: "POST", Path: "/call", StatusCode: c.code}
		got := says{e.Retryable(), e.ServerError(), e.ClientError(), e.RateLimited(), e.BadRequest(), e.NotFound(), e.Unauthorized(), e.Redirect(), dialer.MaybePlaced(e)}
		if got != c.want {
			t.Errorf("%d: %+v, want %+v", c.code, got, c.want)
		}
		wrapped := fmt.Errorf("reading: %w", e)
		gotIs := says{client: dialer.IsClientError(wrapped), rateLimited: dialer.IsRateLimited(wrapped), badRequest: dialer.IsBadRequest(wrapped),
			notFound: dialer.IsNotFound(wrapped), unauthorized: dialer.IsUnauthorized(wrapped)}
		wantIs := says{client: c.want.client, rateLimited: c.want.rateLimited, badRequest: c.want.badRequest, notFound: c.want.notFound, unauthorized: c.want.unauthorized}
		if gotIs != wantIs {
			t.Errorf("%d wrapped: %+v, want %+v", c.code, gotIs, wantIs)
		}
	}
	if dialer.IsClientError(fmt.Errorf("no reply")) || dialer.IsRateLimited(nil) {
		t.Error("an error that is no reply is a refusal")
	}
}
