package resp

import "errors"

// ProtocolError is a malformed request. Redis answers it with an error reply
// and then closes the connection, since the stream can no longer be framed.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "ERR Protocol error: " + e.Msg }

// Protocol errors with the exact wording of Redis 7 (networking.c).
var (
	ErrInvalidMultibulkLength = &ProtocolError{"invalid multibulk length"}
	ErrInvalidBulkLength      = &ProtocolError{"invalid bulk length"}
	ErrTooBigInline           = &ProtocolError{"too big inline request"}
	ErrTooBigMbulkCount       = &ProtocolError{"too big mbulk count string"}
	ErrTooBigBulkCount        = &ProtocolError{"too big bulk count string"}
	ErrUnbalancedQuotes       = &ProtocolError{"unbalanced quotes in request"}
	ErrUnauthenticatedMbulk   = &ProtocolError{"unauthenticated multibulk length"}
	ErrUnauthenticatedBulk    = &ProtocolError{"unauthenticated bulk length"}
)

// ErrExpectedDollar is built per byte seen, so it is a function.
func errExpectedDollar(got byte) error {
	return &ProtocolError{"expected '$', got '" + string([]byte{got}) + "'"}
}

// IsProtocolError reports whether err is a framing error after which the
// connection must be closed.
func IsProtocolError(err error) bool {
	var pe *ProtocolError
	return errors.As(err, &pe)
}
