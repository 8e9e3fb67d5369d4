package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/xen-pvczar/pvczar"
)

func init() {
	register(&command{
		name: "token create", summary: "create an API token (yours, or anyone's for the Czar); its secret is shown once", nargs: [2]int{0, 0},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.user, "user", "", "whose token (default: the acting user)")
			fs.StringVar(&o.name, "name", "", "what the token is for (required)")
			fs.DurationVar(&o.ttl, "ttl", 0, "lifetime, e.g. 720h (default: no expiry)")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			admin, user, err := c.credentialsFor(ctx, c.opts.user)
			if err != nil {
				return err
			}
			now, err := c.writeTime("a token is created now")
			if err != nil {
				return err
			}
			secret, tok, err := admin.CreateToken(ctx, user, c.opts.name, now, c.opts.ttl)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(c.stdout, map[string]any{"secret": secret, "token": tok})
			}
			fmt.Fprintf(c.stdout, "token %s for %s (%s); its secret, shown only now:\n%s\n", tok.ID, tok.User, tok.Name, secret)
			return nil
		},
	})
	register(&command{
		name: "token list", summary: "list API tokens (yours; the Czar: anyone's with --user, everyone's with --user '*')", read: true, nargs: [2]int{0, 0},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.user, "user", "", "whose tokens (default: the acting user; '*' for everyone's)")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			who := c.opts.user
			if who == "*" {
				who = ""
			}
			admin, user, err := c.credentialsFor(ctx, who)
			if err != nil {
				return err
			}
			if c.opts.user == "*" {
				user = ""
			}
			toks, err := admin.Tokens(ctx, user)
			if err != nil {
				return err
			}
			if c.json {
				return printJSON(c.stdout, toks)
			}
			var rows [][]string
			for _, tk := range toks {
				rows = append(rows, []string{tk.ID, tk.User, tk.Name, pvczar.FormatUTC(tk.Created), optionalUTC(tk.Expires), optionalUTC(tk.Revoked)})
			}
			return table(c.stdout, "ID\tUSER\tNAME\tCREATED\tEXPIRES\tREVOKED", rows)
		},
	})
	register(&command{
		name: "token revoke", args: "ID", summary: "revoke an API token (yours, or anyone's for the Czar)", nargs: [2]int{1, 1},
		run: func(ctx context.Context, c *cli, args []string) error {
			now, err := c.writeTime("a token is revoked now")
			if err != nil {
				return err
			}
			if c.server != "" {
				admin, _, err := c.credentialsFor(ctx, "")
				if err != nil {
					return err
				}
				return admin.RevokeToken(ctx, args[0], now)
			}
			store, err := c.openStore(ctx, false)
			if err != nil {
				return err
			}
			toks, err := store.Tokens(ctx, "")
			if err != nil {
				return err
			}
			owner := ""
			for _, tk := range toks {
				if tk.ID == args[0] {
					owner = tk.User
				}
			}
			if owner == "" {
				return pvczar.Errorf(pvczar.ENOTFOUND, "unknown token %q", args[0])
			}
			if _, _, err := c.credentialsFor(ctx, owner); err != nil {
				return err
			}
			if err := store.RevokeToken(ctx, args[0], now); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "revoked token %s of %s\n", args[0], owner)
			return nil
		},
	})
	register(&command{
		name: "user password", args: "NAME", summary: "set a password for web sign-in, read from stdin or --password-file (yours, or anyone's for the Czar)", nargs: [2]int{1, 1},
		flags: func(fs *flag.FlagSet, o *opts) {
			fs.StringVar(&o.passwordFile, "password-file", "", "read the password from this file instead of stdin")
		},
		run: func(ctx context.Context, c *cli, args []string) error {
			admin, user, err := c.credentialsFor(ctx, args[0])
			if err != nil {
				return err
			}
			var r io.Reader = os.Stdin
			if c.opts.passwordFile != "" {
				f, err := os.Open(c.opts.passwordFile)
				if err != nil {
					return pvczar.Errorf(pvczar.EINVALID, "--password-file: %v", err)
				}
				defer f.Close()
				r = f
			}
			line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
			if err != nil && err != io.EOF {
				return err
			}
			if err := admin.SetPassword(ctx, user, strings.TrimRight(line, "\r\n")); err != nil {
				return err
			}
			fmt.Fprintf(c.stdout, "password of %s set\n", user)
			return nil
		},
	})
}

func optionalUTC(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return pvczar.FormatUTC(*t)
}

// credentialsFor returns where credentials are managed and whose: through a
// server (which checks who may), or in the local database after checking
// that --as may manage user's (themselves, or anyone for the Czar).
func (c *cli) credentialsFor(ctx context.Context, user string) (pvczar.CredentialAdmin, string, error) {
	svc, err := c.open(ctx)
	if err != nil {
		return nil, "", err
	}
	if c.server != "" {
		return svc.(pvczar.CredentialAdmin), user, nil
	}
	if user == "" {
		user = c.as
	}
	now, err := c.now()
	if err != nil {
		return nil, "", err
	}
	reg, err := svc.Registry(ctx, now)
	if err != nil {
		return nil, "", err
	}
	if err := reg.MayManageCredentials(c.as, user); err != nil {
		return nil, "", err
	}
	return c.store, user, nil
}
