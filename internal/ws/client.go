package ws

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/wamux/wamux/internal/auth"
)

// maxClientMessage bounds a client's message: the protocol has only the
// Token authentication message, a few dozen bytes.
const maxClientMessage = 4 << 10

// maxMalformed is how many malformed messages a client may send before it
// is disconnected.
const maxMalformed = 10

// client is one websocket connection.
type client struct {
	h    *Hub
	conn *websocket.Conn
	// ctx is the upgrade request's, for logging.
	ctx context.Context
	// out is the bounded queue of frames for the writer.
	out chan []byte
	// done is closed when the client starts closing: the writer and the
	// pinger stop.
	done      chan struct{}
	closeOnce sync.Once
	// closed is closed once the connection is.
	closed chan struct{}

	// Set once authenticated, before authed.
	user      int64
	tokenHash []byte
	authed    atomic.Bool
}

func newClient(ctx context.Context, h *Hub, conn *websocket.Conn) *client {
	conn.SetReadLimit(maxClientMessage)
	return &client{h: h, conn: conn, ctx: ctx, out: make(chan []byte, h.cfg.QueueSize), done: make(chan struct{}), closed: make(chan struct{})}
}

// subscribed reports whether the client receives events: authenticated and
// not closing.
func (c *client) subscribed() bool {
	if !c.authed.Load() {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// serve runs the protocol until the connection ends.
func (c *client) serve() {
	defer c.finish()
	if !c.authenticate() {
		return
	}
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { defer bg.Done(); c.write() }()
	go func() { defer bg.Done(); c.ping() }()
	c.read()
	c.close(websocket.StatusNormalClosure, "")
	bg.Wait()
}

// authenticate reads messages until one is a Token authentication message
// and answers it: true once the client is subscribed.
func (c *client) authenticate() bool {
	timer := time.AfterFunc(c.h.cfg.AuthTimeout, func() {
		c.close(websocket.StatusPolicyViolation, "authentication timed out")
	})
	defer timer.Stop()
	for malformed := 0; ; {
		typ, data, err := c.conn.Read(context.Background())
		if err != nil {
			return false
		}
		token, problem := parseTokenAuth(typ, data)
		if problem != "" {
			if malformed++; malformed > maxMalformed {
				c.close(websocket.StatusPolicyViolation, "too many malformed messages")
				return false
			}
			if !c.writeNow(responseFrame(problem)) {
				return false
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		p, err := c.h.resolve(ctx, token)
		cancel()
		switch {
		case err != nil:
			c.h.log.ErrorContext(c.ctx, "websocket token not checked", "error", err)
			c.writeNow(tokenFrame(false, "Authentication is unavailable right now; try again later."))
			c.close(websocket.StatusTryAgainLater, "authentication unavailable")
			return false
		case p == nil:
			c.writeNow(tokenFrame(false, auth.DetailInvalidToken))
			c.close(websocket.StatusPolicyViolation, "invalid token")
			return false
		}
		if !timer.Stop() {
			return false // timed out meanwhile: closing
		}
		c.user, c.tokenHash = p.User.ID, auth.HashSecret(strings.TrimSpace(token))
		// Subscribed before the answer is written: events from now on wait
		// in the queue, behind it.
		c.authed.Store(true)
		select {
		case c.h.joined <- struct{}{}:
		default:
		}
		return c.writeNow(tokenFrame(true, "Authenticated as "+p.User.Username+"."))
	}
}

// resolve finds the active user of an API token the way the HTTP API does
// (internal/auth, as an "Authorization: Token" header), or nil.
func (h *Hub) resolve(ctx context.Context, token string) (*auth.Principal, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "/ws/", nil)
	if err != nil {
		return nil, err
	}
	r.Header.Set("Authorization", "Token "+token)
	actx, err := h.cfg.Auth.Authenticate(r)
	if err != nil {
		return nil, err
	}
	p := auth.FromContext(actx)
	if p == nil || p.Scheme != auth.SchemeToken {
		return nil, nil
	}
	return p, nil
}

// writeNow writes a frame at once, before the writer runs.
func (c *client) writeNow(frame []byte) bool {
	ctx, cancel := context.WithTimeout(context.Background(), c.h.cfg.WriteTimeout)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, frame) == nil
}

// read reads until the connection ends: a subscribed client has nothing
// more to say, but reading is what answers pings and close frames.
func (c *client) read() {
	for {
		_, _, err := c.conn.Read(context.Background())
		if err != nil {
			return
		}
		c.send(responseFrame("Already authenticated: the server expects no more messages."))
	}
}

// send queues a frame; a client whose queue is full is disconnected.
func (c *client) send(frame []byte) bool {
	select {
	case <-c.done:
		return false
	default:
	}
	select {
	case c.out <- frame:
		return true
	default:
		c.slow("too slow: the outgoing queue overflowed")
		return false
	}
}

// slow disconnects a client that does not keep up.
func (c *client) slow(reason string) {
	c.closeOnce.Do(func() {
		c.h.metrics.dropped.Inc()
		c.h.log.InfoContext(c.ctx, "websocket client too slow; disconnected", "user_id", c.user, "reason", reason)
		c.closing(websocket.StatusTryAgainLater, reason)
	})
}

// close starts closing the connection with code and reason, once.
func (c *client) close(code websocket.StatusCode, reason string) {
	c.closeOnce.Do(func() { c.closing(code, reason) })
}

// closing stops the writer and the pinger and runs the close handshake in
// the background: it waits up to seconds for a busy writer and for the
// peer, and the hub's loop must not.
func (c *client) closing(code websocket.StatusCode, reason string) {
	close(c.done)
	go func() {
		defer close(c.closed)
		_ = c.conn.Close(code, reason)
	}()
}

// finish ends the connection when serve returns: it waits for a close
// handshake in progress, or cuts the connection when none was begun.
func (c *client) finish() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.conn.CloseNow()
		close(c.closed)
	})
	<-c.closed
}

// write sends the queued frames, one at a time.
func (c *client) write() {
	for {
		select {
		case <-c.done:
			return
		case frame := <-c.out:
			ctx, cancel := context.WithTimeout(context.Background(), c.h.cfg.WriteTimeout)
			err := c.conn.Write(ctx, websocket.MessageText, frame)
			cancel()
			switch {
			case err == nil:
			case errors.Is(err, context.DeadlineExceeded):
				c.slow("too slow: a frame was not accepted in time")
				return
			default:
				c.close(websocket.StatusInternalError, "write failed")
				return
			}
		}
	}
}

// ping checks that the peer is alive; one that does not answer is
// disconnected.
func (c *client) ping() {
	t := time.NewTicker(c.h.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.h.cfg.PingTimeout)
		err := c.conn.Ping(ctx)
		cancel()
		if err != nil {
			c.close(websocket.StatusPolicyViolation, "no pong: the connection is presumed dead")
			return
		}
	}
}
