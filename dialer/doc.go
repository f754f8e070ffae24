// Package dialer is a typed client for the parts of the Bolna Voice AI REST API that an outbound
// campaign needs: the account ([Client.Account]), placing a call ([Client.PlaceCall]), reading an
// execution ([Client.Execution]), listing an agent's executions ([Client.ListExecutions]) and
// stopping a queued call ([Client.StopCall]).
//
// It knows HTTP and JSON, nothing of CSV files or campaigns. A [Client] is safe for concurrent use.
//
// # Decoding
//
// Bolna's payloads are not consistent: timestamps come with or without an offset, numbers come as
// strings, ids as strings or integers, error bodies carry their text under "message", "detail" or
// "error". The types here ([Time], [Number], [ID]) decode every form that has been seen and never
// fail a whole payload because one field had an unexpected shape.
//
// # Errors
//
// Every reply outside 2xx becomes an [*APIError] with the status code, Bolna's message and any
// Retry-After. Inspect it with errors.As:
//
//	var apiErr *dialer.APIError
//	if errors.As(err, &apiErr) && apiErr.Unauthorized() { ... }
//
// # Retries and the one thing never retried
//
// Reads (GET) are retried on 429, 5xx and transport errors with capped, jittered exponential
// backoff that honours a bounded Retry-After. POST /call has no idempotency key, so it is re-sent
// only after a 429 (the call was refused, never created). Any other failure of a placement may
// have created a call; [MaybePlaced] tells the caller so, and the caller must find the call
// (with [Client.ListExecutions]) rather than place it again.
//
// # Request budget
//
// Bolna limits requests per account per minute: 500 on POST /call, 500 on the executions list
// and the agent read, 1000 elsewhere ([BolnaLimits]), shared by every integration of the
// account. The client takes a share of them ([DefaultLimits]: half) and never passes it in any
// minute, retries included: one [Limiter] per class of endpoint, shared by every goroutine that
// uses the client, so the client itself never causes a 429.
package dialer
