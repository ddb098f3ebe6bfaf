package command

import (
	"strconv"

	"github.com/damselfly-db/damselfly/internal/config"
)

// Keyspace notifications (notify-keyspace-events): commands call Notify
// with the class and event name Redis uses for them; the keyspace reports
// expired and new keys through Env's keyspace.Events methods. Publishing
// happens under the shard lock, which is fine: the pub/sub hub's lock is a
// leaf and subscribers' queues never block.

// Notify publishes a keyspace event for key in the client's database.
func (c *Ctx) Notify(class config.KeyspaceEvents, event string, key []byte) {
	c.Env.notify(class, event, key, c.Client.DB)
}

func (e *Env) notify(class config.KeyspaceEvents, event string, key []byte, db int) {
	flags := e.Config.NotifyKeyspaceEvents.Get()
	if flags&class == 0 {
		return
	}
	if flags&config.EventKeyspace != 0 {
		ch := make([]byte, 0, 16+len(key))
		ch = append(ch, "__keyspace@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, key...)
		e.PubSub.Publish(ch, []byte(event), nil)
	}
	if flags&config.EventKeyevent != 0 {
		ch := make([]byte, 0, 16+len(event))
		ch = append(ch, "__keyevent@"...)
		ch = strconv.AppendInt(ch, int64(db), 10)
		ch = append(ch, "__:"...)
		ch = append(ch, event...)
		e.PubSub.Publish(ch, key, nil)
	}
}

// Expired implements keyspace.Events.
func (e *Env) Expired(db int, key string) {
	e.notify(config.EventExpired, "expired", []byte(key), db)
	e.invalidate(nil, []byte(key), 0)
}

// Created implements keyspace.Events ("new" events, class n).
func (e *Env) Created(db int, key string) {
	e.notify(config.EventNew, "new", []byte(key), db)
}
