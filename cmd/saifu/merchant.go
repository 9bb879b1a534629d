package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/saifu-pay/saifu/internal/app"
	"github.com/saifu-pay/saifu/internal/merchant"
)

const merchantUsage = `usage: saifu merchant <command> [flags]

commands:
  create       create a merchant: prints its id, secret key and webhook secret once
  rotate-key   give a merchant a new secret key; the old one stops working

Run "saifu merchant <command> -h" for the flags of a command.`

// runMerchant is `saifu merchant …`: the operator's way to create merchants
// and rotate their keys before the console exists.
func runMerchant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, merchantUsage)
		return errUsage
	}
	switch args[0] {
	case "create":
		return runMerchantCreate(ctx, args[1:], getenv, stdout, stderr)
	case "rotate-key":
		return runMerchantRotate(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, merchantUsage)
		return nil
	default:
		fmt.Fprintf(stderr, "saifu merchant: unknown command %q\n\n%s\n", args[0], merchantUsage)
		return errUsage
	}
}

// merchantConfig is the configuration the merchant commands share with
// `saifu serve`: the database and the server secret, which must be the same
// as the server's so that it can open the webhook secrets sealed here.
type merchantConfig struct {
	dbConfig
	secretKey string
}

func (c *merchantConfig) register(fs *flag.FlagSet, getenv func(string) string) {
	c.dbConfig.register(fs, getenv)
	c.secretKey = getenv("SAIFU_SECRET_KEY")
	fs.Var(secretString{&c.secretKey}, "secret-key", "server secret, the same as saifu serve's (default: <data-dir>/secret.key, created if absent) (env SAIFU_SECRET_KEY)")
}

// openService opens the database and the merchant service with the
// server's seal key. The caller closes the returned func.
func (c *merchantConfig) openService(ctx context.Context, stderr io.Writer, opts ...merchant.Option) (*merchant.Service, func(), error) {
	db, err := c.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	key, err := app.MerchantSealKey(app.Config{DataDir: c.dataDir, SecretKey: c.secretKey, Log: log}, db)
	if err != nil {
		db.Close()
		return nil, nil, usageOf(err)
	}
	opts = append([]merchant.Option{merchant.WithSealKey(key)}, opts...)
	return merchant.New(db, time.Now, opts...), func() { db.Close() }, nil
}

func runMerchantCreate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("merchant create", flag.ContinueOnError)
	var (
		c                        merchantConfig
		name, nameEN, webhookURL string
	)
	c.register(fs, getenv)
	fs.StringVar(&name, "name", "", "the merchant's name (required), e.g. 山田商店")
	fs.StringVar(&nameEN, "name-en", "", "the name in printable ASCII, at most 25 characters, for QR codes (EMV tag 59), e.g. \"YAMADA SHOTEN\"; required when --name has kanji, else the name itself or its kana romanised")
	fs.StringVar(&webhookURL, "webhook-url", "", "where saifu POSTs signed webhooks: https, or http to localhost")
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if name == "" {
		return fmt.Errorf("%w: --name is required", errUsage)
	}
	svc, closeDB, err := c.openService(ctx, stderr)
	if err != nil {
		return err
	}
	defer closeDB()
	var opts []merchant.CreateOption
	if nameEN != "" {
		opts = append(opts, merchant.WithNameEN(nameEN))
	}
	m, key, whsec, err := svc.Create(ctx, name, webhookURL, opts...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merchant_id:    %s\n", m.ID)
	fmt.Fprintf(stdout, "name:           %s\n", m.Name)
	fmt.Fprintf(stdout, "name_en:        %s (QR code tag 59)\n", m.NameEN)
	fmt.Fprintf(stdout, "emv_id:         %s\n", m.EMVID)
	fmt.Fprintf(stdout, "secret_key:     %s\n", key)
	fmt.Fprintf(stdout, "webhook_secret: %s\n", whsec)
	fmt.Fprintln(stdout, "WARNING: the secret key and the webhook secret are shown only once; store them safely now.")
	return nil
}

func runMerchantRotate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("merchant rotate-key", flag.ContinueOnError)
	var (
		c     merchantConfig
		id    string
		grace time.Duration
	)
	c.register(fs, getenv)
	fs.StringVar(&id, "id", "", "the merchant id, mer_… (required)")
	fs.DurationVar(&grace, "grace", 0, "how long the old key keeps working, at most 24h (default: it stops at once)")
	if err := parseFlags(fs, args, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if id == "" {
		return fmt.Errorf("%w: --id is required", errUsage)
	}
	if grace < 0 || grace > 24*time.Hour {
		return fmt.Errorf("%w: --grace must be between 0 and 24h", errUsage)
	}
	svc, closeDB, err := c.openService(ctx, stderr, merchant.WithRotateGrace(grace))
	if err != nil {
		return err
	}
	defer closeDB()
	key, err := svc.Rotate(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merchant_id: %s\n", id)
	fmt.Fprintf(stdout, "secret_key:  %s\n", key)
	if grace > 0 {
		fmt.Fprintf(stdout, "the previous key keeps working for %s\n", grace)
	} else {
		fmt.Fprintln(stdout, "the previous key no longer works")
	}
	fmt.Fprintln(stdout, "WARNING: the secret key is shown only once; store it safely now.")
	return nil
}
