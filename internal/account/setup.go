package account

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/store"
)

// SetupInput creates an account and its first admin (the owner).
type SetupInput struct {
	Account    string `json:"account"`
	AdminEmail string `json:"admin_email"`
	AdminName  string `json:"admin_name"`
	TimeZone   string `json:"timezone,omitempty"`
	Language   string `json:"language,omitempty"`
	// Password, given on the setup page (never through the API), becomes
	// the owner's password for the web pages; then no API token is
	// issued: the owner signs in instead.
	Password string `json:"-"`
}

// SetupResult is what setup returns: the secret is shown only here.
type SetupResult struct {
	Account *store.Account
	User    *store.User
	Token   string
}

// Setup creates an account with its owner. Without the operator's
// rights it is allowed once, on a Convene with no account; the operator
// may create further accounts.
func (s *Service) Setup(ctx context.Context, in SetupInput, operator bool) (*SetupResult, error) {
	var fs failure.Fields
	name := strings.TrimSpace(in.Account)
	if name == "" || len(name) > 200 {
		fs.Add("account", "give the account a name of 1 to 200 characters")
	}
	email, err := NormalizeEmail(in.AdminEmail)
	if err != nil {
		fs.Add("admin_email", "%v", err)
	}
	adminName := strings.TrimSpace(in.AdminName)
	if adminName == "" || len(adminName) > 200 {
		fs.Add("admin_name", "give the admin a name of 1 to 200 characters")
	}
	tz := in.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	if err := CheckTimeZone(tz); err != nil {
		fs.Add("timezone", "%v", err)
	}
	lang := in.Language
	if lang == "" {
		lang = "en"
	}
	if !ValidLanguage(lang) {
		fs.Add("language", "%q is not a supported language (%s)", lang, strings.Join(Languages, ", "))
	}
	if err := fs.Err(); err != nil {
		return nil, err
	}
	var pwHash string
	if in.Password != "" {
		if err := checkNewPassword(in.Password); err != nil {
			return nil, err
		}
		if pwHash, err = s.hashPassword(ctx, in.Password); err != nil {
			return nil, err
		}
	}
	accountID, err := s.newID("acc_")
	if err != nil {
		return nil, err
	}
	userID, err := s.newID("usr_")
	if err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	res := &SetupResult{
		Account: &store.Account{ID: accountID, Name: name, Language: lang, Created: now},
		User: &store.User{ID: userID, AccountID: accountID, Email: email, Name: adminName, Role: store.RoleOwner,
			TimeZone: tz, WorkingHours: DefaultWorkingHours, DefaultDuration: 30, Created: now},
	}
	err = s.Store.Tx(ctx, func(tx store.Store) error {
		first, err := tx.ClaimSetup(ctx, now)
		if err != nil {
			return err
		}
		if !first && !operator {
			return failure.New(failure.Forbidden, "setup is done; further accounts need the operator token")
		}
		if err := tx.CreateAccount(ctx, res.Account); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, res.User); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return failure.New(failure.Conflict, "%s is already a user of an account", email)
			}
			return err
		}
		actor := Actor{UserID: userID, Email: email, Via: ViaAPI}
		if operator && !first {
			actor = Actor{Via: ViaOperator}
		}
		if pwHash != "" {
			if err := tx.SetUserPassword(ctx, accountID, userID, pwHash, now); err != nil {
				return err
			}
			actor.Via = ViaWeb // the setup page: only it gives a password
		} else {
			_, secret, err := s.issueToken(ctx, tx, accountID, userID, "setup")
			if err != nil {
				return err
			}
			res.Token = secret
		}
		return s.Audit(ctx, tx, accountID, actor, AuditAccountCreate, name, Detail{"owner": email})
	})
	if err != nil {
		if _, ok := failure.As(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("account: setup: %w", err)
	}
	return res, nil
}
