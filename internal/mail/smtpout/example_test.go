package smtpout_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/convene/convene/internal/mail/smtpout"
)

// How the outbox sends one message and decides what to do next.
func Example() {
	relay, err := smtpout.ParseRelay("smtp+starttls://convene%40acme.test:secret@mail.acme.test:587")
	if err != nil {
		log.Fatal(err) // a configuration error, shown at start
	}
	client, err := smtpout.New(relay, smtpout.Options{LocalName: "convene.acme.test"})
	if err != nil {
		log.Fatal(err)
	}
	var sender smtpout.Sender = client

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	raw := []byte("From: ...\r\n\r\n...") // invite.Mail.Raw
	err = sender.Send(ctx, "assistant@acme.test", []string{"bob@example.org", "chloe@exemple.fr"}, raw)
	var rcpts *smtpout.RecipientError
	var e *smtpout.Error
	switch {
	case err == nil:
		// sent to everyone
	case errors.As(err, &rcpts):
		// sent to rcpts.Accepted; retry later for rcpts.Retry() only,
		// give up on the others
	case errors.As(err, &e) && e.MaybeDelivered:
		// retry later; recipients may see it twice (same Message-ID)
	case smtpout.Temporary(err):
		// retry later with back-off
	default:
		// permanent: mark failed, tell the organizer
	}
}
