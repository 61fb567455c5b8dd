package apiproxy

import (
	"container/list"
	"sync"
	"time"

	"k8s.io/apiserver/pkg/authentication/user"
)

// tokenCache is a bounded LRU of verified identities keyed by the SHA-256 of
// the token: the raw token is never kept.
type tokenCache struct {
	mu    sync.Mutex
	size  int
	ll    *list.List
	items map[[32]byte]*list.Element
}

type cacheEntry struct {
	key  [32]byte
	user user.Info
	exp  time.Time
}

func newTokenCache(size int) *tokenCache {
	return &tokenCache{size: size, ll: list.New(), items: map[[32]byte]*list.Element{}}
}

func (c *tokenCache) get(key [32]byte, now time.Time) (user.Info, bool) {
	if c.size <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.exp) {
		c.ll.Remove(el)
		delete(c.items, key)
		return nil, false
	}
	c.ll.MoveToFront(el)
	return e.user, true
}

func (c *tokenCache) add(key [32]byte, u user.Info, exp time.Time) {
	if c.size <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value = &cacheEntry{key: key, user: u, exp: exp}
		c.ll.MoveToFront(el)
		return
	}
	c.items[key] = c.ll.PushFront(&cacheEntry{key: key, user: u, exp: exp})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

func (c *tokenCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// tokenCacheTTL bounds how long a verified token is served from the cache,
// as kube-apiserver's TokenSuccessCacheTTL (10s; kubernetes
// pkg/kubeapiserver/options/authentication.go) bounds its own: a key the
// issuer has withdrawn from its JWKS stops being honoured within this much
// of the next JWKS refetch, not only at the token's exp.
const tokenCacheTTL = 10 * time.Second

// cacheUntil is when a token verified at now, expiring at exp, leaves the
// cache.
func cacheUntil(now, exp time.Time) time.Time {
	if ttl := now.Add(tokenCacheTTL); ttl.Before(exp) {
		return ttl
	}
	return exp
}
