package dialer

import (
	"errors"
	"net/http"
)

// RateLimited reports whether the request was refused for Bolna's request limits (429): it did
// nothing, and may be sent again after RetryAfter (when the server gave one).
func (e *APIError) RateLimited() bool { return e.StatusCode == http.StatusTooManyRequests }

// IsRateLimited reports whether err is an [*APIError] for a request refused by Bolna's request
// limits (429).
func IsRateLimited(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.RateLimited()
}
