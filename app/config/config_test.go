package config_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/skranke/skranke/app/config"
)

func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SKRANKE_CONFIG_DIR", dir)
	path, err := config.DefaultPath()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "config.json"), path)

	cfg, err := config.Load(path)
	require.NoError(t, err, "a missing file gives the defaults")
	assert.Equal(t, config.Default(), cfg)

	cfg.DeskToken = "secret-desk-token"
	cfg.TrainingToken = "secret-sandbox-token"
	cfg.PrinterTarget = "tcp://10.0.0.5:9100"
	require.NoError(t, config.Save(path, cfg))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "the token is readable by the user only")
	back, err := config.Load(path)
	require.NoError(t, err)
	assert.Equal(t, cfg, back)

	var log strings.Builder
	slog.New(slog.NewTextHandler(&log, nil)).Info("config", "config", cfg)
	assert.NotContains(t, log.String(), "secret-desk-token", "the token is never logged")
	assert.NotContains(t, log.String(), "secret-sandbox-token")
	assert.Contains(t, log.String(), "10.0.0.5")

	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o600))
	_, err = config.Load(path)
	assert.Error(t, err)
}
