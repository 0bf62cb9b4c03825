package redact

import "slices"

// Parts of the generic rules. A secret name is a word that names a secret (password, token, api-key,
// …), alone or at the end of a longer name (--db-password, PGPASSWORD, AWS_SECRET_ACCESS_KEY,
// javax.net.ssl.keyStorePassword); the short words pass and pwd only after a separator (DB_PASS,
// MYSQL_PWD, --proxy-pass, but not bypass=, OLDPWD=, PWD=).
const (
	longWords = `password|passwd|passphrase|secret|token|bearer|api[-_]?key|access[-_]?key|secret[-_]?key|account[-_]?key`

	// assignName: the key of KEY=VALUE, from the start of what is given (an argument, or a word
	// of a longer one when chars excludes the delimiters).
	assignName = `(?:[^=\s?&]*(?:` + longWords + `)|(?:[^=\s?&]*[-_.])?pass|[^=\s?&]*[-_.]pwd)`
	wordName   = `(?:[\w.-]*(?:` + longWords + `)|(?:[\w.-]*[-_.])?pass|[\w.-]*[-_.]pwd)`

	// flagName: a flag whose next argument is the secret. Its leading name parts are free, except
	// that the first is not "no" (psql --no-password takes no value).
	notNo    = `(?:[a-mo-z0-9][a-z0-9]*|n|n[a-np-z0-9][a-z0-9]*|no[a-z0-9]+)`
	flagName = `--?(?:` + notNo + `[-_.](?:[a-z0-9]+[-_.])*)?(?:` + longWords + `|pass|pwd)`

	// shell: a value inside a shell command string, quoted or up to the next space or operator.
	shellValue = `(?:'(?P<secret>[^']*)'|"(?P<secret>[^"]*)"|(?P<secret>[^\s;&|'"]+))`
	// listValue: the same, also ended by a comma (mount -o a=1,password=x,b=2; helm --set).
	listValue = `(?:'(?P<secret>[^']*)'|"(?P<secret>[^"]*)"|(?P<secret>[^\s;&|,'"]+))`

	// shellFlag: the flags that take a shell command string (sh -c, bash -lc, su -c).
	shellFlag = `^(?:-[a-zA-Z]*c[a-zA-Z]*|--command)$`

	whole = `(?s)^(?P<secret>.+)$` // the whole argument
)

var defaults = []string{
	// --password=S3cret, -Dpassword=S3cret, PGPASSWORD=S3cret, MYSQL_PWD=…, AWS_SECRET_ACCESS_KEY=…,
	// GITHUB_TOKEN=…, db.password=… (helm --set), token=… (vault): an argument that is one assignment
	// to a secret name; the whole rest is the secret.
	// (Not after sh -c: there the argument is a command line, left to the rule after next.)
	`[notafter=` + shellFlag + `] (?is)^` + assignName + `=(?P<secret>.+)$`,
	// --password S3cret, --api-key K, --client-secret S, -token T, --oauth2-bearer T: a flag with a
	// secret name, then the secret as the next argument.
	`[after=(?i)^` + flagName + `$] ` + whole,
	// Assignments inside a longer argument: sh -c 'PGPASSWORD=x psql', -o uid=0,password=x,
	// --from-literal=password=x, --set=a.token=x, conninfo "host=h password=x", URL queries
	// ?access_token=x&…, npm's //registry/:_authToken=x, AccountKey=x; (connection strings).
	`(?i)(?:^|[\s;&|(,'"=:?])(?:export\s+)?` + wordName + `=` + listValue,
	// --password S3cret inside a shell command string (sh -c, ssh host '…').
	`(?i)(?:^|[\s;&|(])` + flagName + `\s+` + shellValue,
	// scheme://user:S3cret@host: the password of a URL (git, curl, psql, mongodb, redis, amqp, …).
	`://[^/?#\s:@'"]*:(?P<secret>[^/?#\s'"]*)@`,
	// Authorization: Bearer T / Basic B / token T, Proxy-Authorization: (curl -H, wget --header,
	// git -c http.extraHeader=…): the credentials after the scheme word.
	`(?i)(?:proxy-)?authorization:\s*(?:(?:bearer|basic|token|bot|digest|negotiate|ntlm|apikey|sso-key|aws4-hmac-sha256)\s+)?(?P<secret>[^\s'"][^'"\r\n]*)`,
	// Other credential headers: X-API-Key:, X-Auth-Token:, Private-Token: (GitLab), X-Vault-Token:,
	// Cookie:, …
	`(?i)(?:api-?key|api-?token|auth-?token|access-?token|private-token|job-token|deploy-token|vault-token|security-token|session-?token|csrf-?token|cookie):\s*(?P<secret>[^\s'"][^'"\r\n]*)`,
	// -----BEGIN … PRIVATE KEY----- … -----END: the key material (to the end of the argument when the
	// END line is missing).
	`(?s)-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----(?P<secret>.*?)(?:-----END|$)`,

	// Token shapes, wherever they appear; the prefix stays, to tell what kind of token was hidden.
	`gh[pousr]_(?P<secret>[A-Za-z0-9]{20,})`,                                        // GitHub
	`github_pat_(?P<secret>[A-Za-z0-9_]{20,})`,                                      // GitHub fine-grained
	`gl(?:pat|ptt|dt|rt|cbt|oas|soat|ffct)-(?P<secret>[A-Za-z0-9_-]{20,})`,          // GitLab
	`xox[abposre]-(?P<secret>[A-Za-z0-9-]{10,})`,                                    // Slack
	`xapp-(?P<secret>[0-9]-[A-Za-z0-9-]{10,})`,                                      // Slack app
	`hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9/_-]+)`, // Slack webhook
	`discord(?:app)?\.com/api/webhooks/[0-9]+/(?P<secret>[A-Za-z0-9_-]+)`,           // Discord webhook
	`eyJ[A-Za-z0-9_-]{2,}\.(?P<secret>eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)`,           // JWT: payload, signature
	`(?:[rs]k|whsec)_(?:live|test)_(?P<secret>[A-Za-z0-9]{10,})`,                    // Stripe
	`AIza(?P<secret>[A-Za-z0-9_-]{35})`,                                             // Google API key
	`ya29\.(?P<secret>[A-Za-z0-9_-]{20,})`,                                          // Google OAuth access token
	`GOCSPX-(?P<secret>[A-Za-z0-9_-]{20,})`,                                         // Google OAuth client secret
	`\bsk-(?:proj-|ant-|svcacct-|admin-)?(?P<secret>[A-Za-z0-9_-]{32,})`,            // OpenAI, Anthropic
	`hf_(?P<secret>[A-Za-z0-9]{30,})`,                                               // Hugging Face
	`npm_(?P<secret>[A-Za-z0-9]{36})`,                                               // npm
	`pypi-(?P<secret>AgE[A-Za-z0-9_-]{50,})`,                                        // PyPI
	`AGE-SECRET-KEY-1(?P<secret>[0-9A-Z]{58})`,                                      // age
	`hv[sbr]\.(?P<secret>[A-Za-z0-9_-]{20,})`,                                       // HashiCorp Vault
	`do[opr]_v1_(?P<secret>[a-f0-9]{64})`,                                           // DigitalOcean
	`dckr_pat_(?P<secret>[A-Za-z0-9_-]{20,})`,                                       // Docker Hub
	`shp(?:at|ca|pa|ss)_(?P<secret>[a-fA-F0-9]{32})`,                                // Shopify
	`SG\.(?P<secret>[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})`,                          // SendGrid
	`(?i)[?&]sig=(?P<secret>[^&\s'"]+)`,                                             // Azure SAS signature

	// Program-specific flags, where a short flag means a password only for that program.
	`[exe=mysql*,mariadb*] (?s)^-p(?P<secret>.+)$`,                                                       // mysql -pS3cret (-p alone prompts; mysql -p db is a database)
	`(?:^|[\s;&|(/])(?:mysql|mariadb)[\w-]*\s(?:[^;&|]*\s)?-p(?P<secret>[^\s;&|'"]+)`,                    // the same in sh -c '…'
	`[exe=mysqladmin after=^password$] ` + whole,                                                         // mysqladmin password NEW
	`[exe=sshpass] (?s)^-p(?P<secret>.+)$`,                                                               // sshpass -pS3cret
	`[exe=sshpass after=^-p$] ` + whole,                                                                  // sshpass -p S3cret
	`(?:^|[\s;&|(/])sshpass\s(?:[^;&|]*?\s)?-p\s*` + shellValue,                                          // the same in sh -c '…'
	`[exe=curl after=^(?:-u|--user|-U|--proxy-user|-E|--cert|--proxy-cert)$] (?s)^[^:]*:(?P<secret>.+)$`, // curl -u bob:S3cret
	`[exe=curl] (?s)^-[uUE][^:]*:(?P<secret>.+)$`,                                                        // curl -ubob:S3cret
	`[exe=http,https,httpie after=^(?:-a|--auth)$] (?s)^[^:]*:(?P<secret>.+)$`,                           // httpie -a bob:S3cret
	`[exe=http,https,httpie] (?s)^(?:-a|--auth=)[^:]*:(?P<secret>.+)$`,                                   // httpie --auth=bob:S3cret
	`[exe=redis-cli,valkey-cli,keydb-cli after=^-a$] ` + whole,                                           // redis-cli -a S3cret
	`[exe=ldap* after=^-w$] ` + whole,                                                                    // ldapsearch -w S3cret
	`[exe=ldappasswd after=^-[as]$] ` + whole,                                                            // ldappasswd -a OLD -s NEW
	`[exe=mongo,mongosh,mongodump,mongorestore,mongoexport,mongoimport,mongostat,mongotop,mongofiles after=^-p$] ` + whole,
	`[exe=sqlcmd,bcp,osql,isql,tsql,ipmitool after=^-P$] ` + whole, // sqlcmd -P S3cret, ipmitool -P
	`[exe=smbclient,rpcclient,smbcacls,smbcquotas,smbget,smbtree,smbmap,net after=^(?:-U|--user)$] (?s)^[^%]*%(?P<secret>.+)$`,
	`[exe=smbclient,rpcclient,smbcacls,smbcquotas,smbget,smbtree,smbmap,net] (?s)^(?:-U|--user=)[^%]*%(?P<secret>.+)$`,
	`[exe=openssl] (?s)^pass:(?P<secret>.+)$`,                                 // openssl -passin pass:S3cret
	`[exe=openssl after=^-k$] ` + whole,                                       // openssl enc -k S3cret
	`[exe=ssh-keygen after=^-[NP]$] ` + whole,                                 // ssh-keygen -N NEW -P OLD
	`[exe=zip,unzip,zipcloak after=^-P$] ` + whole,                            // zip -P S3cret
	`[exe=7z,7za,7zr,7zz,rar,unrar] (?s)^-p(?P<secret>.+)$`,                   // 7z -pS3cret
	`[exe=xfreerdp*,wlfreerdp*,sdl-freerdp*] (?is)^/(?:p|gp):(?P<secret>.+)$`, // xfreerdp /p:S3cret
	`[exe=rdesktop,az after=^-p$] ` + whole,                                   // rdesktop -p S3cret, az login -p S3cret
	`[exe=useradd,usermod after=^-p$] ` + whole,                               // useradd -p HASH
	`[exe=aws after=(?i)^aws_(?:secret_access_key|session_token)$] ` + whole,  // aws configure set aws_secret_access_key S
	`[exe=nmcli after=^(?:password|psk|wifi-sec\.psk|802-11-wireless-security\.psk)$] ` + whole,
	`[exe=sqlplus,sqlldr,expdp,impdp,exp,imp,rman,dgmgrl] (?s)^[^/@\s]+/(?P<secret>[^@]+)`, // sqlplus scott/tiger@db
	`[after=^-(?:src|dest|new)?(?:store|key)pass$] ` + whole,                               // keytool -storepass S3cret
}

// Defaults returns the default rules (a new slice each time): what precd uses when its configuration
// has no redact key. Each rule in defaults.go carries a comment on what it catches. Decisions:
//
//   - AWS access key ids (AKIA…, AWS_ACCESS_KEY_ID=) are identifiers, not secrets: kept. Their secret
//     keys have no shape of their own and are caught by name (AWS_SECRET_ACCESS_KEY=,
//     --aws-secret-access-key, aws configure set aws_secret_access_key).
//   - Flags that name a file or a descriptor are kept: --password-file=/path, --token-file,
//     --passphrase-fd, --password-stdin; and --no-password takes no value.
//   - Token shapes keep their prefix (ghp_****, xoxb-****, sk_live_****) and a JWT its header, so an
//     investigator sees what kind of credential was hidden.
//   - Over-redaction is preferred to a leak: a --secret/--token flag that takes no value hides the
//     next argument; `--access-key` hides what some tools use for an id.
//
// Not caught (say so in the README):
//   - positional secrets: `htpasswd -b file user PASS`, `mkpasswd PASS`, `openssl passwd PASS`,
//     `vault login TOKEN`, `mysql_config_editor`, `expect` scripts, `echo PASS | …` (stdin is not
//     recorded anyway);
//   - short flags whose meaning depends on a subcommand: `docker login -p PASS` (-p is a port for
//     docker run; --password is caught), `git -c` values other than headers and URLs;
//   - secrets under names outside the word list: --auth, --key, --credentials, KEY=, *_KEY= other
//     than API/ACCESS/SECRET/ACCOUNT keys, SECRET_KEY_BASE=, MY_CRED=; and short flags such as -p of
//     programs not listed;
//   - unprefixed random tokens (an AWS secret key or a hex API key given alone), a token used as a
//     URL's user name (`https://TOKEN@host/`, except the shaped ones), passwords split across
//     arguments, base64- or URL-encoded forms of the above, and a comma inside a value in a shell
//     string or option list (`sh -c 'PASS=a,b cmd'` hides only a);
//   - environment variables: precd records argv, not the environment.
func Defaults() []string { return slices.Clone(defaults) }
