package dialer

// defaultSizes are a client's bounds on a reply, as New sets them.
var defaultSizes = sizes{body: MaxBodySize, scan: MaxScanSize}

// WithReplySizes shrinks, in this package's tests only, how much of a reply a client reads whole
// (body, MaxBodySize in use) and field by field (scan, MaxScanSize in use): a reply "too large"
// is then megabytes, not tens of them (TestPartialPayload read 170 MB under -race, a
// third of the package's CPU). TestBodyLimits keeps the sizes in use.
func WithReplySizes(body int, scan int64) Option {
	return func(c *Client) error {
		c.sizes = sizes{body: body, scan: scan}
		return nil
	}
}
