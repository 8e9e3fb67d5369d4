package http

import (
	"net"
	"sync"
)

// limitListener accepts at most total connections at once, and at most
// perAddr from one client address; a connection beyond either limit is
// closed as soon as it is accepted, so that one client holding idle
// connections cannot use up the server's file descriptors.
type limitListener struct {
	net.Listener
	total, perAddr int
	refused        func() // counts a refused connection

	mu     sync.Mutex
	open   int
	byAddr map[string]int
}

func newLimitListener(l net.Listener, total, perAddr int, refused func()) *limitListener {
	return &limitListener{Listener: l, total: total, perAddr: perAddr, refused: refused, byAddr: map[string]int{}}
}

// Accept returns the next connection within the limits.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := hostOf(c.RemoteAddr().String())
		if l.take(addr) {
			return &limitedConn{Conn: c, release: func() { l.release(addr) }}, nil
		}
		l.refused()
		c.Close()
	}
}

func (l *limitListener) take(addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open >= l.total || l.byAddr[addr] >= l.perAddr {
		return false
	}
	l.open++
	l.byAddr[addr]++
	return true
}

func (l *limitListener) release(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
}

// limitedConn gives its place back once, when it is closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
