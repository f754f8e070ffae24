package bolnasim

import (
	"bytes"
	"io"
	"net/http"
	"strconv"
)

// recorder is an http.ResponseWriter that keeps the reply in memory: the fake serves a request
// into one when the reply is to be lost, mangled, or handed to an in-process client. (It is
// net/http/httptest's ResponseRecorder in miniature, so the release binary links no test
// server.)
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// status is the reply's status code (200 if the handler set none).
func (r *recorder) status() int {
	if r.code == 0 {
		return http.StatusOK
	}
	return r.code
}

// result is the reply as a client receives it.
func (r *recorder) result(req *http.Request) *http.Response {
	code := r.status()
	return &http.Response{
		Status:        strconv.Itoa(code) + " " + http.StatusText(code),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        r.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(r.body.Bytes())),
		ContentLength: int64(r.body.Len()),
		Request:       req,
	}
}
