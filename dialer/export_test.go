package dialer

// defaultSizes are a client's bounds on a reply, as New sets them.
var defaultSizes = sizes{body: MaxBodySize, scan: MaxScanSize}
