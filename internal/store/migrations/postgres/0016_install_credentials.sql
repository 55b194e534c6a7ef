-- The key an app's install is given (Google Workspace's service account
-- JSON key, AuthServiceAccount), sealed like the tokens: '' for apps that
-- take none.
ALTER TABLE app_installs ADD COLUMN credentials TEXT NOT NULL DEFAULT '';
