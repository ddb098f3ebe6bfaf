// Package resp reads Redis protocol requests and writes RESP2/RESP3 replies.
//
// The parser is incremental and zero-copy: ParseCommand looks at the bytes a
// connection has buffered and, when a whole command is there, returns its
// arguments as sub-slices of that buffer. Nothing is copied or allocated per
// argument once the caller's argument slice has grown to the pipeline's widest
// command; callers that keep an argument beyond the current batch must copy it.
//
// Both request forms are accepted, as redis-server does: multibulk
// (`*<n>\r\n$<len>\r\n<bytes>\r\n...`) and inline (a text line split on blanks,
// with "double" and 'single' quoting as in redis-cli). The error texts are the
// ones Redis sends, because clients and test suites match on them.
//
// The reply side is a Writer that appends to a byte slice, so a whole pipeline
// batch is answered with a single write(2).
package resp
