package server

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// listenTCP opens a listening socket with an explicit backlog. Go's
// net.Listen always passes the kernel's somaxconn, so --tcp_backlog would be
// ignored; building the socket by hand makes the flag real.
func listenTCP(host string, port, backlog int) (net.Listener, error) {
	addr, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	family := syscall.AF_INET
	var sa syscall.Sockaddr
	if ip4 := addr.IP.To4(); ip4 != nil || addr.IP == nil {
		s := &syscall.SockaddrInet4{Port: addr.Port}
		if ip4 != nil {
			copy(s.Addr[:], ip4)
		}
		sa = s
		if addr.IP == nil {
			// All interfaces: prefer a dual-stack IPv6 socket, like Redis's
			// "* -::*" default, falling back to IPv4 only.
			if l, err := listenTCP("::", port, backlog); err == nil {
				return l, nil
			}
		}
	} else {
		family = syscall.AF_INET6
		s := &syscall.SockaddrInet6{Port: addr.Port}
		copy(s.Addr[:], addr.IP.To16())
		if addr.Zone != "" {
			if ifi, err := net.InterfaceByName(addr.Zone); err == nil {
				s.ZoneId = uint32(ifi.Index)
			}
		}
		sa = s
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	fail := func(what string, err error) (net.Listener, error) {
		syscall.Close(fd)
		return nil, fmt.Errorf("%s %s: %w", what, net.JoinHostPort(host, strconv.Itoa(port)), err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt", err)
	}
	if family == syscall.AF_INET6 && host != "::" {
		syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 1)
	}
	if family == syscall.AF_INET6 && host == "::" {
		syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0)
	}
	if err := syscall.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err := syscall.Listen(fd, backlog); err != nil {
		return fail("listen", err)
	}
	f := os.NewFile(uintptr(fd), "listener")
	defer f.Close() // FileListener dups the descriptor
	l, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("listener %s: %w", host, err)
	}
	return l, nil
}
