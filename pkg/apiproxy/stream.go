package apiproxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// idleWatch cancels a request once no byte has moved in either direction
// for the idle timeout. Activity only stores a timestamp; the timer checks
// it when it fires and re-arms itself, so a busy stream costs no timer
// resets.
type idleWatch struct {
	idle   time.Duration
	last   atomic.Int64
	timer  *time.Timer
	cancel context.CancelFunc
	fired  atomic.Bool
}

func newIdleWatch(idle time.Duration, cancel context.CancelFunc) *idleWatch {
	w := &idleWatch{idle: idle, cancel: cancel}
	w.touch()
	if idle > 0 {
		w.timer = time.AfterFunc(idle, w.check)
	}
	return w
}

func (w *idleWatch) touch() { w.last.Store(time.Now().UnixNano()) }

func (w *idleWatch) check() {
	since := time.Duration(time.Now().UnixNano() - w.last.Load())
	if since >= w.idle {
		w.fired.Store(true)
		w.cancel()
		return
	}
	w.timer.Reset(w.idle - since)
}

func (w *idleWatch) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// recorder is the ResponseWriter handed to the reverse proxy: it remembers
// the status code and counts activity for the idle timeout, and still
// flushes and hijacks (watch needs Flush, SPDY and WebSocket need Hijack).
type recorder struct {
	http.ResponseWriter
	code  int
	idle  *idleWatch
	wrote bool
}

func (r *recorder) WriteHeader(code int) {
	if code >= 200 && !r.wrote {
		r.code = code
		r.wrote = true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.code, r.wrote = http.StatusOK, true
	}
	if r.idle != nil {
		r.idle.touch()
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	_ = http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	if !r.wrote {
		r.code, r.wrote = http.StatusSwitchingProtocols, true
	}
	if r.idle != nil {
		conn = &activeConn{Conn: conn, idle: r.idle}
	}
	return conn, brw, nil
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// activeConn is a hijacked client connection whose reads and writes count as
// activity.
type activeConn struct {
	net.Conn
	idle *idleWatch
}

func (c *activeConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.idle.touch()
	}
	return n, err
}

func (c *activeConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.idle.touch()
	}
	return n, err
}

// activeBody is a request body whose reads count as activity.
type activeBody struct {
	io.ReadCloser
	idle *idleWatch
}

func (b *activeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.idle.touch()
	}
	return n, err
}
