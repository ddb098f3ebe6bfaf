package config

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// maxBindAddresses is Redis's CONFIG_BINDADDR_MAX.
const maxBindAddresses = 16

// parseBind splits a bind value into addresses. Redis separates them with
// spaces ("127.0.0.1 ::1"); commas are accepted too since a single flag
// value with spaces is awkward in some launchers. Empty means all
// interfaces. Addresses are IP literals, host names, or Redis's wildcards
// "*" and "::*"; a leading "-" (Redis: skip the address if it is not
// available) is kept for the server to interpret.
func parseBind(s string) ([]string, error) {
	addrs := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	if len(addrs) > maxBindAddresses {
		return nil, errors.New("Too many bind addresses specified.")
	}
	for _, a := range addrs {
		if !validBindAddress(strings.TrimPrefix(a, "-")) {
			return nil, fmt.Errorf("invalid bind address %q", a)
		}
	}
	return addrs, nil
}

func validBindAddress(a string) bool {
	if a == "*" || a == "::*" || net.ParseIP(a) != nil {
		return true
	}
	// An IPv6 literal with a zone, as in fe80::1%eth0.
	if host, zone, ok := strings.Cut(a, "%"); ok && zone != "" && net.ParseIP(host) != nil {
		return true
	}
	return validHostname(a)
}

// validHostname checks the shape of a DNS name; whether it resolves is
// left to the listener.
func validHostname(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func bindCodec() codec[[]string] {
	return codec[[]string]{
		typ:    "addresses",
		parse:  parseBind,
		format: func(v []string) string { return strings.Join(v, " ") },
	}
}
