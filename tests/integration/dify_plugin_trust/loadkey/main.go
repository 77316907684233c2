// Command loadkey loads plugin-signing public keys the way the Dify plugin daemon does, with the
// same Go standard library calls (written here from langgenius/dify-plugin-daemon
// pkg/plugin_packager/decoder/verifier.go VerifyPluginWithPublicKeyPaths and
// pkg/utils/encryption/rsa.go LoadPublicKey): each path of the comma-separated list is trimmed
// and read, pem.Decode must find an "RSA PUBLIC KEY" block with nothing left after it, and
// x509.ParsePKCS1PublicKey must parse it. One line per path: "<path> ok" or "<path> refused: ...".
package main

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

func load(path string) error {
	data, err := os.ReadFile(strings.TrimSpace(path))
	if err != nil {
		return err
	}
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "RSA PUBLIC KEY" {
		return errors.New("no RSA PUBLIC KEY block")
	}
	if len(rest) != 0 {
		return errors.New("data after the PEM block")
	}
	_, err = x509.ParsePKCS1PublicKey(block.Bytes)
	return err
}

func main() {
	for _, path := range strings.Split(os.Args[1], ",") {
		if err := load(path); err != nil {
			fmt.Printf("%s refused: %v\n", path, err)
		} else {
			fmt.Printf("%s ok\n", path)
		}
	}
}
