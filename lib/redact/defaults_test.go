package redact

import (
	"slices"
	"strings"
	"testing"
)

var defaultSet = MustCompile(Defaults())

type row struct {
	name string
	exe  string   // empty: /usr/bin/ + argv[0]
	argv []string // as given; "****" in want marks what is hidden
	want []string // nil: argv unchanged
	idx  []int
}

// One row per default rule at least; TestEveryDefaultRuleTested checks that.
var defaultRows = []row{
	// assignments
	{name: "password=", argv: []string{"tool", "--password=S3cret", "-v"}, want: []string{"tool", "--password=****", "-v"}, idx: []int{1}},
	{name: "password= with space and newline", argv: []string{"tool", "--password=a b\nc"}, want: []string{"tool", "--password=****"}, idx: []int{1}},
	{name: "passwd=", argv: []string{"tool", "--passwd=S3cret"}, want: []string{"tool", "--passwd=****"}, idx: []int{1}},
	{name: "token=", argv: []string{"tool", "--token=abc"}, want: []string{"tool", "--token=****"}, idx: []int{1}},
	{name: "api-key=", argv: []string{"tool", "--api-key=abc", "--apikey=def", "--api_key=ghi"}, want: []string{"tool", "--api-key=****", "--apikey=****", "--api_key=****"}, idx: []int{1, 2, 3}},
	{name: "client-secret=", argv: []string{"tool", "--client-secret=abc"}, want: []string{"tool", "--client-secret=****"}, idx: []int{1}},
	{name: "access-key=", argv: []string{"tool", "--access-key=abc", "--secret-key=def"}, want: []string{"tool", "--access-key=****", "--secret-key=****"}, idx: []int{1, 2}},
	{name: "java property", argv: []string{"java", "-Djavax.net.ssl.keyStorePassword=changeit", "-jar", "x.jar"}, want: []string{"java", "-Djavax.net.ssl.keyStorePassword=****", "-jar", "x.jar"}, idx: []int{1}},
	{name: "env PGPASSWORD", argv: []string{"env", "PGPASSWORD=S3cret", "psql", "-h", "db"}, want: []string{"env", "PGPASSWORD=****", "psql", "-h", "db"}, idx: []int{1}},
	{name: "env MYSQL_PWD", argv: []string{"env", "MYSQL_PWD=S3cret", "mysql"}, want: []string{"env", "MYSQL_PWD=****", "mysql"}, idx: []int{1}},
	{name: "env AWS", argv: []string{"env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SESSION_TOKEN=FwoG", "aws", "s3", "ls"},
		want: []string{"env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=****", "AWS_SESSION_TOKEN=****", "aws", "s3", "ls"}, idx: []int{2, 3}},
	{name: "env GITHUB_TOKEN, X_SECRET, DB_PASS", argv: []string{"env", "GITHUB_TOKEN=abc", "APP_SECRET=def", "DB_PASS=ghi", "DB_PASSWORD=jkl", "make"}, want: []string{"env", "GITHUB_TOKEN=****", "APP_SECRET=****", "DB_PASS=****", "DB_PASSWORD=****", "make"}, idx: []int{1, 2, 3, 4}},
	{name: "helm --set", argv: []string{"helm", "install", "x", "--set", "db.password=S3cret"}, want: []string{"helm", "install", "x", "--set", "db.password=****"}, idx: []int{4}},
	// next argument
	{name: "--password S", argv: []string{"tool", "--password", "S3cret", "x"}, want: []string{"tool", "--password", "****", "x"}, idx: []int{2}},
	{name: "--passwd S", argv: []string{"tool", "--passwd", "S3cret"}, want: []string{"tool", "--passwd", "****"}, idx: []int{2}},
	{name: "--token T", argv: []string{"gh", "--token", "T0k"}, want: []string{"gh", "--token", "****"}, idx: []int{2}},
	{name: "--api-key, --apikey, --secret, --client-secret, --access-key", argv: []string{"t", "--api-key", "a", "--apikey", "b", "--secret", "c", "--client-secret", "d", "--access-key", "e"},
		want: []string{"t", "--api-key", "****", "--apikey", "****", "--secret", "****", "--client-secret", "****", "--access-key", "****"}, idx: []int{2, 4, 6, 8, 10}},
	{name: "wget --http-password", argv: []string{"wget", "--user=bob", "--http-password", "S3cret", "--ftp-password=x", "u"}, want: []string{"wget", "--user=bob", "--http-password", "****", "--ftp-password=****", "u"}, idx: []int{3, 4}},
	{name: "-token single dash", argv: []string{"gotool", "-token", "T0k"}, want: []string{"gotool", "-token", "****"}, idx: []int{2}},
	{name: "curl --oauth2-bearer", argv: []string{"curl", "--oauth2-bearer", "T0k", "https://x/"}, want: []string{"curl", "--oauth2-bearer", "****", "https://x/"}, idx: []int{2}},
	// inside shell strings
	{name: "sh -c VAR=", argv: []string{"sh", "-c", "PGPASSWORD=S3cret psql -h db; MYSQL_PWD='a b' mysql"}, want: []string{"sh", "-c", "PGPASSWORD=**** psql -h db; MYSQL_PWD='****' mysql"}, idx: []int{2}},
	{name: "sh -c export", argv: []string{"bash", "-c", `export GITHUB_TOKEN="ghx"; make`}, want: []string{"bash", "-c", `export GITHUB_TOKEN="****"; make`}, idx: []int{2}},
	{name: "mount -o password=", argv: []string{"mount", "-t", "cifs", "-o", "uid=0,password=S3cret,vers=3", "//h/s", "/mnt"}, want: []string{"mount", "-t", "cifs", "-o", "uid=0,password=****,vers=3", "//h/s", "/mnt"}, idx: []int{4}},
	{name: "kubectl --from-literal", argv: []string{"kubectl", "create", "secret", "generic", "x", "--from-literal=password=S3cret"}, want: []string{"kubectl", "create", "secret", "generic", "x", "--from-literal=password=****"}, idx: []int{5}},
	{name: "conninfo", argv: []string{"psql", "host=db user=bob password=S3cret dbname=x"}, want: []string{"psql", "host=db user=bob password=**** dbname=x"}, idx: []int{1}},
	{name: "url query token", argv: []string{"curl", "https://api.example.com/v1?access_token=abc&x=1"}, want: []string{"curl", "https://api.example.com/v1?access_token=****&x=1"}, idx: []int{1}},
	{name: "npm authToken", argv: []string{"npm", "config", "set", "//registry.npmjs.org/:_authToken=abc"}, want: []string{"npm", "config", "set", "//registry.npmjs.org/:_authToken=****"}, idx: []int{3}},
	{name: "sh -c --password S", argv: []string{"sh", "-c", "tool --password S3cret -v"}, want: []string{"sh", "-c", "tool --password **** -v"}, idx: []int{2}},
	// URLs
	{name: "url password", argv: []string{"git", "clone", "https://bob:S3cret@git.example.com/r.git"}, want: []string{"git", "clone", "https://bob:****@git.example.com/r.git"}, idx: []int{2}},
	{name: "url password with @", argv: []string{"psql", "postgresql://bob:p@ss@db:5432/x"}, want: []string{"psql", "postgresql://bob:****@db:5432/x"}, idx: []int{1}},
	{name: "url in shell string", argv: []string{"sh", "-c", "redis-cli -u redis://:S3cret@h:6379 ping"}, want: []string{"sh", "-c", "redis-cli -u redis://:****@h:6379 ping"}, idx: []int{2}},
	// headers
	{name: "curl -H Bearer", argv: []string{"curl", "-H", "Authorization: Bearer abc.def", "https://x/"}, want: []string{"curl", "-H", "Authorization: Bearer ****", "https://x/"}, idx: []int{2}},
	{name: "curl -H Basic", argv: []string{"curl", "-H", "authorization: Basic Ym9iOnB3", "https://x/"}, want: []string{"curl", "-H", "authorization: Basic ****", "https://x/"}, idx: []int{2}},
	{name: "curl -HAuthorization", argv: []string{"curl", "-HAuthorization:token abc", "u"}, want: []string{"curl", "-HAuthorization:token ****", "u"}, idx: []int{1}},
	{name: "wget --header=", argv: []string{"wget", "--header=Proxy-Authorization: Basic Ym9i", "u"}, want: []string{"wget", "--header=Proxy-Authorization: Basic ****", "u"}, idx: []int{1}},
	{name: "git extraheader in sh", argv: []string{"sh", "-c", `git -c http.extraHeader="Authorization: Bearer abc" fetch`}, want: []string{"sh", "-c", `git -c http.extraHeader="Authorization: Bearer ****" fetch`}, idx: []int{2}},
	{name: "X-API-Key, Private-Token, Cookie", argv: []string{"curl", "-H", "X-API-Key: abc", "-H", "PRIVATE-TOKEN: def", "-H", "Cookie: s=1; t=2"}, want: []string{"curl", "-H", "X-API-Key: ****", "-H", "PRIVATE-TOKEN: ****", "-H", "Cookie: ****"}, idx: []int{2, 4, 6}},
	// private keys
	{name: "private key", argv: []string{"tool", "--key-data", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nAbC=\n-----END RSA PRIVATE KEY-----\n"}, want: []string{"tool", "--key-data", "-----BEGIN RSA PRIVATE KEY-----****-----END RSA PRIVATE KEY-----\n"}, idx: []int{2}},
	{name: "openssh private key, no END", argv: []string{"echo", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl"}, want: []string{"echo", "-----BEGIN OPENSSH PRIVATE KEY-----****"}, idx: []int{1}},
	// token shapes
	{name: "github ghp_", argv: []string{"echo", "ghp_0123456789abcdefghijABCDEFGHIJ012345"}, want: []string{"echo", "ghp_****"}, idx: []int{1}},
	{name: "github token in URL user", argv: []string{"git", "clone", "https://ghs_0123456789abcdefghijABCDEFGHIJ@github.com/o/r"}, want: []string{"git", "clone", "https://ghs_****@github.com/o/r"}, idx: []int{2}},
	{name: "github_pat_", argv: []string{"echo", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"}, want: []string{"echo", "github_pat_****"}, idx: []int{1}},
	{name: "gitlab glpat-", argv: []string{"echo", "glpat-abcdefghij0123456789"}, want: []string{"echo", "glpat-****"}, idx: []int{1}},
	{name: "slack xoxb-", argv: []string{"echo", "tok=xoxb-1234567890-abcdefghij"}, want: []string{"echo", "tok=xoxb-****"}, idx: []int{1}},
	{name: "slack xapp-", argv: []string{"echo", "xapp-1-A0123456789-abcdef"}, want: []string{"echo", "xapp-****"}, idx: []int{1}},
	{name: "slack webhook", argv: []string{"curl", "https://hooks.slack.com/services/T000/B000/XXXXXXXX"}, want: []string{"curl", "https://hooks.slack.com/services/****"}, idx: []int{1}},
	{name: "discord webhook", argv: []string{"curl", "https://discord.com/api/webhooks/123/abc-DEF"}, want: []string{"curl", "https://discord.com/api/webhooks/123/****"}, idx: []int{1}},
	{name: "jwt", argv: []string{"echo", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_-x"}, want: []string{"echo", "eyJhbGciOiJIUzI1NiJ9.****"}, idx: []int{1}},
	{name: "stripe", argv: []string{"echo", "sk_live_0123456789abcdef"}, want: []string{"echo", "sk_live_****"}, idx: []int{1}},
	{name: "google api key", argv: []string{"echo", "AIzaSyA0123456789abcdefghijklmnopqrstuv"}, want: []string{"echo", "AIza****"}, idx: []int{1}},
	{name: "google oauth", argv: []string{"echo", "ya29.a0AfH6SMBabcdefghijklmnop", "GOCSPX-abcdefghijklmnopqrstuv"}, want: []string{"echo", "ya29.****", "GOCSPX-****"}, idx: []int{1, 2}},
	{name: "openai, anthropic", argv: []string{"echo", "sk-proj-abcdefghijklmnopqrstuvwxyz012345", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123"}, want: []string{"echo", "sk-proj-****", "sk-ant-****"}, idx: []int{1, 2}},
	{name: "huggingface", argv: []string{"echo", "hf_abcdefghijklmnopqrstuvwxyz01234"}, want: []string{"echo", "hf_****"}, idx: []int{1}},
	{name: "npm", argv: []string{"echo", "npm_abcdefghijklmnopqrstuvwxyz0123456789"}, want: []string{"echo", "npm_****"}, idx: []int{1}},
	{name: "pypi", argv: []string{"echo", "pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAAC"}, want: []string{"echo", "pypi-****"}, idx: []int{1}},
	{name: "age", argv: []string{"echo", "AGE-SECRET-KEY-1" + strings.Repeat("Q", 58)}, want: []string{"echo", "AGE-SECRET-KEY-1****"}, idx: []int{1}},
	{name: "vault", argv: []string{"echo", "hvs.CAESIabcdefghijklmnopqrst"}, want: []string{"echo", "hvs.****"}, idx: []int{1}},
	{name: "digitalocean", argv: []string{"echo", "dop_v1_" + strings.Repeat("ab", 32)}, want: []string{"echo", "dop_v1_****"}, idx: []int{1}},
	{name: "docker hub", argv: []string{"echo", "dckr_pat_abcdefghijklmnopqrstu"}, want: []string{"echo", "dckr_pat_****"}, idx: []int{1}},
	{name: "shopify", argv: []string{"echo", "shpat_" + strings.Repeat("a1", 16)}, want: []string{"echo", "shpat_****"}, idx: []int{1}},
	{name: "sendgrid", argv: []string{"echo", "SG." + strings.Repeat("a", 22) + "." + strings.Repeat("b", 43)}, want: []string{"echo", "SG.****"}, idx: []int{1}},
	{name: "azure sas", argv: []string{"azcopy", "https://a.blob.core.windows.net/c?sv=2022&sig=abc%2Bdef&se=1"}, want: []string{"azcopy", "https://a.blob.core.windows.net/c?sv=2022&sig=****&se=1"}, idx: []int{1}},
	// programs
	{name: "mysql -p", argv: []string{"mysql", "-u", "root", "-pS3cret", "db"}, want: []string{"mysql", "-u", "root", "-p****", "db"}, idx: []int{3}},
	{name: "mariadb -p", exe: "/usr/bin/mariadb", argv: []string{"mysql", "-pS3cret"}, want: []string{"mysql", "-p****"}, idx: []int{1}},
	{name: "mysqldump -p", argv: []string{"mysqldump", "-pS3cret", "db"}, want: []string{"mysqldump", "-p****", "db"}, idx: []int{1}},
	{name: "sudo mysql -p", exe: "/usr/bin/sudo", argv: []string{"sudo", "mysql", "-pS3cret"}, want: []string{"sudo", "mysql", "-p****"}, idx: []int{2}},
	{name: "mysql in sh -c", argv: []string{"sh", "-c", "mysql -u root -pS3cret db < x.sql"}, want: []string{"sh", "-c", "mysql -u root -p**** db < x.sql"}, idx: []int{2}},
	{name: "mysqladmin password", argv: []string{"mysqladmin", "-u", "root", "password", "N3w"}, want: []string{"mysqladmin", "-u", "root", "password", "****"}, idx: []int{4}},
	{name: "sshpass -p", argv: []string{"sshpass", "-p", "S3cret", "ssh", "host"}, want: []string{"sshpass", "-p", "****", "ssh", "host"}, idx: []int{2}},
	{name: "sshpass -pS", argv: []string{"sshpass", "-pS3cret", "ssh", "host"}, want: []string{"sshpass", "-p****", "ssh", "host"}, idx: []int{1}},
	{name: "sshpass in sh -c", argv: []string{"sh", "-c", "sshpass -p 'S3 cret' ssh h"}, want: []string{"sh", "-c", "sshpass -p '****' ssh h"}, idx: []int{2}},
	{name: "curl -u", argv: []string{"curl", "-u", "bob:S3cret", "https://x/"}, want: []string{"curl", "-u", "bob:****", "https://x/"}, idx: []int{2}},
	{name: "curl --user", argv: []string{"curl", "--user", "bob:S3:cret", "-U", "p:q"}, want: []string{"curl", "--user", "bob:****", "-U", "p:****"}, idx: []int{2, 4}},
	{name: "curl -ubob:S", argv: []string{"curl", "-ubob:S3cret", "u"}, want: []string{"curl", "-ubob:****", "u"}, idx: []int{1}},
	{name: "httpie -a", argv: []string{"http", "-a", "bob:S3cret", "x.org"}, want: []string{"http", "-a", "bob:****", "x.org"}, idx: []int{2}},
	{name: "httpie --auth=", argv: []string{"http", "--auth=bob:S3cret", "x.org"}, want: []string{"http", "--auth=bob:****", "x.org"}, idx: []int{1}},
	{name: "redis-cli -a", argv: []string{"redis-cli", "-a", "S3cret", "ping"}, want: []string{"redis-cli", "-a", "****", "ping"}, idx: []int{2}},
	{name: "ldapsearch -w", argv: []string{"ldapsearch", "-D", "cn=admin", "-w", "S3cret"}, want: []string{"ldapsearch", "-D", "cn=admin", "-w", "****"}, idx: []int{4}},
	{name: "ldappasswd -a -s", argv: []string{"ldappasswd", "-a", "Old", "-s", "New"}, want: []string{"ldappasswd", "-a", "****", "-s", "****"}, idx: []int{2, 4}},
	{name: "mongosh -p", argv: []string{"mongosh", "-u", "bob", "-p", "S3cret"}, want: []string{"mongosh", "-u", "bob", "-p", "****"}, idx: []int{4}},
	{name: "sqlcmd -P", argv: []string{"sqlcmd", "-U", "sa", "-P", "S3cret"}, want: []string{"sqlcmd", "-U", "sa", "-P", "****"}, idx: []int{4}},
	{name: "smbclient -U", argv: []string{"smbclient", "-U", "bob%S3cret", "//h/s"}, want: []string{"smbclient", "-U", "bob%****", "//h/s"}, idx: []int{2}},
	{name: "smbclient --user=", argv: []string{"smbclient", "--user=bob%S3cret", "//h/s"}, want: []string{"smbclient", "--user=bob%****", "//h/s"}, idx: []int{1}},
	{name: "openssl pass:", argv: []string{"openssl", "pkcs12", "-export", "-passout", "pass:S3cret", "-passin", "env:X"}, want: []string{"openssl", "pkcs12", "-export", "-passout", "pass:****", "-passin", "env:X"}, idx: []int{4}},
	{name: "openssl enc -k", argv: []string{"openssl", "enc", "-aes-256-cbc", "-k", "S3cret"}, want: []string{"openssl", "enc", "-aes-256-cbc", "-k", "****"}, idx: []int{4}},
	{name: "ssh-keygen -N", argv: []string{"ssh-keygen", "-t", "ed25519", "-N", "S3cret", "-f", "k"}, want: []string{"ssh-keygen", "-t", "ed25519", "-N", "****", "-f", "k"}, idx: []int{4}},
	{name: "zip -P", argv: []string{"zip", "-P", "S3cret", "a.zip", "f"}, want: []string{"zip", "-P", "****", "a.zip", "f"}, idx: []int{2}},
	{name: "7z -p", argv: []string{"7z", "a", "-pS3cret", "a.7z", "f"}, want: []string{"7z", "a", "-p****", "a.7z", "f"}, idx: []int{2}},
	{name: "xfreerdp /p:", argv: []string{"xfreerdp", "/u:bob", "/p:S3cret", "/v:h"}, want: []string{"xfreerdp", "/u:bob", "/p:****", "/v:h"}, idx: []int{2}},
	{name: "az login -p", argv: []string{"az", "login", "-u", "bob", "-p", "S3cret"}, want: []string{"az", "login", "-u", "bob", "-p", "****"}, idx: []int{5}},
	{name: "useradd -p", argv: []string{"useradd", "-p", "$6$salt$hash", "bob"}, want: []string{"useradd", "-p", "****", "bob"}, idx: []int{2}},
	{name: "aws configure set", argv: []string{"aws", "configure", "set", "aws_secret_access_key", "wJalr"}, want: []string{"aws", "configure", "set", "aws_secret_access_key", "****"}, idx: []int{4}},
	{name: "nmcli password", argv: []string{"nmcli", "dev", "wifi", "connect", "Home", "password", "S3cret"}, want: []string{"nmcli", "dev", "wifi", "connect", "Home", "password", "****"}, idx: []int{6}},
	{name: "sqlplus user/pass", argv: []string{"sqlplus", "-S", "scott/tiger@orcl", "@x.sql"}, want: []string{"sqlplus", "-S", "scott/****@orcl", "@x.sql"}, idx: []int{2}},
	{name: "keytool -storepass", argv: []string{"keytool", "-list", "-keystore", "k.jks", "-storepass", "changeit"}, want: []string{"keytool", "-list", "-keystore", "k.jks", "-storepass", "****"}, idx: []int{5}},

	// negatives: nothing is hidden
	{name: "ls -la", argv: []string{"ls", "-la", "/tmp"}},
	{name: "ls -p", argv: []string{"ls", "-p", "/tmp"}},
	{name: "grep -p", argv: []string{"grep", "-p", "password", "f"}},
	{name: "ssh -p 22", argv: []string{"ssh", "-p", "22", "host"}},
	{name: "git log --pretty", argv: []string{"git", "log", "--pretty=oneline", "-p"}},
	{name: "tar -xpf", argv: []string{"tar", "-xpf", "a.tar"}},
	{name: "mysql without -p", argv: []string{"mysql", "-u", "root", "db"}},
	{name: "mysql -p prompts", argv: []string{"mysql", "-u", "root", "-p", "db"}},
	{name: "url without password", argv: []string{"git", "clone", "https://bob@example.com/r.git", "http://h:8080/x"}},
	{name: "password file", argv: []string{"tool", "--password-file=/etc/pw", "--token-file", "/etc/tok", "--password-stdin"}},
	{name: "no-password", argv: []string{"psql", "--no-password", "db"}},
	{name: "access key id", argv: []string{"env", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "aws"}},
	{name: "PWD OLDPWD ASKPASS", argv: []string{"env", "PWD=/home/bob", "OLDPWD=/tmp", "SSH_ASKPASS=/usr/bin/ssh-askpass", "bypass=1"}},
	{name: "gcc", argv: []string{"gcc", "-O2", "-pthread", "-c", "x.c", "-o", "x.o"}},
	{name: "docker run -p", argv: []string{"docker", "run", "-p", "80:80", "--user", "1000:1000", "img"}},
	{name: "ps -u", argv: []string{"ps", "-u", "root:x"}},
	{name: "curl -u without password", argv: []string{"curl", "-u", "bob", "https://x/"}},
	{name: "tokenizer, max_tokens", argv: []string{"tool", "--tokenizer=bpe", "max_tokens=5", "--secret-name=x"}},
	{name: "ssh-keygen -N empty", argv: []string{"ssh-keygen", "-N", "", "-f", "k"}},
	{name: "kubectl get secrets", argv: []string{"kubectl", "get", "secrets", "-n", "x"}},
	{name: "disk- is not sk-", argv: []string{"qemu", "--disk-abcdefghijklmnopqrstuvwxyz0123456789"}},
	{name: "openssl pass: outside openssl", argv: []string{"echo", "pass:abc"}},
}

func TestDefaults(t *testing.T) {
	for _, r := range defaultRows {
		t.Run(r.name, func(t *testing.T) {
			exe := r.exe
			if exe == "" {
				exe = "/usr/bin/" + r.argv[0]
			}
			want := r.want
			if want == nil {
				want = r.argv
			}
			got, idx := defaultSet.ApplyStrings(exe, slices.Clone(r.argv))
			if !slices.Equal(got, want) || !slices.Equal(idx, r.idx) {
				t.Errorf("Apply(%q, %q)\n got %q %v\nwant %q %v", exe, r.argv, got, idx, want, r.idx)
			}
		})
	}
}

// precd's end-to-end test runs each row as `/bin/echo ARGV…`: the row's program is then an argument,
// which brings the program's rules in scope all the same, and every index moves up by one.
func TestDefaultsThroughEcho(t *testing.T) {
	for _, r := range defaultRows {
		argv := append([]string{"echo"}, r.argv...)
		want := argv
		if r.want != nil {
			want = append([]string{"echo"}, r.want...)
		}
		var idx []int
		for _, i := range r.idx {
			idx = append(idx, i+1)
		}
		got, gotIdx := defaultSet.ApplyStrings("/usr/bin/echo", argv)
		if !slices.Equal(got, want) || !slices.Equal(gotIdx, idx) {
			t.Errorf("%s: Apply(echo, %q)\n got %q %v\nwant %q %v", r.name, argv, got, gotIdx, want, idx)
		}
	}
}
