package smtp_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/xen-pvczar/pvczar/mail/smtp"
)

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// server is an SMTP server inside the test offering STARTTLS (when tlsCfg
// is set) and AUTH PLAIN, which records what the client did.
type server struct {
	ln     net.Listener
	tlsCfg *tls.Config
	user   string
	pass   string
	events chan string
}

func (s *server) serve(conn net.Conn) {
	defer conn.Close()
	tp := textproto.NewConn(conn)
	tp.PrintfLine("220 sink")
	secure := false
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "EHLO":
			tp.PrintfLine("250-sink")
			if s.tlsCfg != nil && !secure {
				tp.PrintfLine("250-STARTTLS")
			}
			tp.PrintfLine("250 AUTH PLAIN")
		case "STARTTLS":
			tp.PrintfLine("220 go ahead")
			tc := tls.Server(conn, s.tlsCfg)
			if err := tc.Handshake(); err != nil {
				s.events <- "handshake failed"
				return
			}
			conn, secure = tc, true
			tp = textproto.NewConn(tc)
			s.events <- "tls"
		case "AUTH":
			raw, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			parts := strings.Split(string(raw), "\x00")
			if len(parts) == 3 && parts[1] == s.user && parts[2] == s.pass {
				s.events <- "auth " + parts[1]
				tp.PrintfLine("235 ok")
			} else {
				tp.PrintfLine("535 no")
			}
		case "MAIL", "RCPT":
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			data, _ := tp.ReadDotBytes()
			s.events <- "data " + strings.TrimSpace(string(data))
			tp.PrintfLine("250 ok")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 no")
		}
	}
}

func start(t *testing.T, tlsCfg *tls.Config) *server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{ln: ln, tlsCfg: tlsCfg, user: "pvczar", pass: "secret", events: make(chan string, 10)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func drain(ch chan string) []string {
	var out []string
	for {
		select {
		case e := <-ch:
			out = append(out, e)
		case <-time.After(200 * time.Millisecond):
			return out
		}
	}
}

// TestSendWithSTARTTLSAndAuth: the client upgrades to TLS when offered,
// authenticates over it, and delivers the message.
func TestSendWithSTARTTLSAndAuth(t *testing.T) {
	cert, pool := selfSigned(t)
	s := start(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	srv := smtp.Server{Addr: s.ln.Addr().String(), Username: "pvczar", Password: "secret", RequireTLS: true,
		TLSConfig: &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}}
	if err := srv.Send(context.Background(), "pvczar@example.org", []string{"list@example.org"}, []byte("Subject: hi\r\n\r\nbody\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(drain(s.events), "|"); got != "tls|auth pvczar|data Subject: hi\n\nbody" {
		t.Fatalf("the server saw: %q", got)
	}
}

// TestRequireTLS: without STARTTLS on offer, a server that must use it is
// refused before anything is sent; an untrusted certificate fails too.
func TestRequireTLS(t *testing.T) {
	plain := start(t, nil)
	srv := smtp.Server{Addr: plain.ln.Addr().String(), RequireTLS: true}
	err := srv.Send(context.Background(), "a@x", []string{"b@x"}, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("a server without STARTTLS: %v", err)
	}
	cert, _ := selfSigned(t)
	untrusted := start(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	srv = smtp.Server{Addr: untrusted.ln.Addr().String()}
	if err := srv.Send(context.Background(), "a@x", []string{"b@x"}, []byte("x")); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("a certificate nobody trusts: %v", err)
	}
	if events := drain(plain.events); len(events) != 0 {
		t.Fatalf("something was sent in the clear: %v", events)
	}
}
