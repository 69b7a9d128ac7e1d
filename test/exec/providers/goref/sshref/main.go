// sshref dials a host and runs one command with golang.org/x/crypto/ssh, configured the way
// pulumi-command v1.2.1 configures it (provider/pkg/provider/remote/connection.go SSHConfig,
// lines 85-148; one attempt, no retries): a pinned hostKey offers only that key's type and is
// checked with FixedHostKey, else the host key is ignored; privateKey first, then the agent of
// agentSocketPath or SSH_AUTH_SOCK, which is dialled before the host. It reads a JSON request on
// stdin and prints {"error": ..., "stdout": ...} as JSON.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

type request struct {
	Host            string `json:"host"`
	Port            int    `json:"port"`
	User            string `json:"user"`
	PrivateKey      string `json:"privateKey"`
	HostKey         string `json:"hostKey"`
	AgentSocketPath string `json:"agentSocketPath"`
	Command         string `json:"command"`
}

type result struct {
	Error  string `json:"error,omitempty"`
	Stdout string `json:"stdout"`
}

func config(r request) (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{User: r.User, Timeout: 15 * time.Second}
	if r.HostKey != "" {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(r.HostKey))
		if err != nil {
			return nil, fmt.Errorf("failed to parse host key: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(key)
		cfg.HostKeyAlgorithms = []string{key.Type()}
	} else {
		cfg.HostKeyCallback = ssh.InsecureIgnoreHostKey()
	}
	if r.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(r.PrivateKey))
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	sock := r.AgentSocketPath
	if sock == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		conn, err := net.Dial("unix", sock)
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	return cfg, nil
}

func run(r request) (string, error) {
	cfg, err := config(r)
	if err != nil {
		return "", err
	}
	client, err := ssh.Dial("tcp", net.JoinHostPort(r.Host, fmt.Sprint(r.Port)), cfg)
	if err != nil {
		return "", err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return "", err
	}
	defer session.Close()
	var out bytes.Buffer
	session.Stdout = &out
	err = session.Run(r.Command)
	return out.String(), err
}

func main() {
	var r request
	if err := json.NewDecoder(os.Stdin).Decode(&r); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out, err := run(r)
	res := result{Stdout: out}
	if err != nil {
		res.Error = err.Error()
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}
