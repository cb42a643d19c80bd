# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""<role>_network, the same on every provider role: a proxy, a CA bundle and an mTLS client certificate, what each
writes, where secrets may go, and that switching provider leaves no old network setting behind."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import PROVIDERS, network
from ansible_collections.fleetcfg.claude_code.tests.unit.plugins.plugin_utils.providers.role_inputs import Role, absent, cases, present

CERT = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----\n'
KEY = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgE=\n-----END PRIVATE KEY-----\n'
ENCRYPTED_KEY = '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIHsMFcGCSqGSIb3DQEFDTBK\n-----END ENCRYPTED PRIVATE KEY-----\n'
PASSWORD_PROXY = 'http://svc-claude:s3cr3t-pa55@proxy.corp.example.com:3128'
role = Role('litellm', dict(litellm_base_url='https://llm-gw.corp.example.com', litellm_auth='static', litellm_static_key='sk-1',
                            litellm_users=['alice']))
managed = Role('bedrock', dict(bedrock_region='us-east-1', bedrock_auth='profile', bedrock_profile='dev', bedrock_scope='managed',
                               bedrock_models={'haiku': 'us.anthropic.claude-haiku-4-5-20251001-v1:0'}))


def net(**options):
    return dict(litellm_network=options)


@pytest.mark.parametrize('overrides, message', cases([
    (net(proxy='proxy.corp.example.com:3128'),
     'litellm_network.proxy: expected http://host:port or https://host:port, optionally with user:password@ (percent-encoded); '
     'the client stops at startup on a proxy without a scheme, got a string (a secret, not shown)'),
    (net(no_proxy=['.corp.example.com', 'a b']),
     'litellm_network.no_proxy[1]: expected a host name, a domain (.example.com), an IP address or network, or *, '
     'got a string (a secret, not shown)'),
    (net(ca_bundle='not a certificate'),
     'litellm_network.ca_bundle: expected PEM text with at least one -----BEGIN CERTIFICATE----- block, got a string (a secret, not shown)'),
    (net(ca_bundle=CERT + KEY),
     'litellm_network.ca_bundle: holds a private key; certificates only (the file is readable by every account); the key goes '
     'in client_key'),
    (net(client_cert=CERT), 'litellm_network: client_cert and client_key go together (mTLS needs both), got only client_cert'),
    (net(client_cert=CERT, client_key=CERT),
     'litellm_network.client_key: expected PEM text with exactly one private key block (-----BEGIN PRIVATE KEY-----), got a '
     'string (a secret, not shown)'),
    (net(client_cert=CERT, client_key=ENCRYPTED_KEY),
     'litellm_network.client_key_passphrase: required for an encrypted client_key, expected the passphrase (from a vault)'),
    (net(client_cert=CERT, client_key=KEY, client_key_passphrase='pw'),
     'litellm_network.client_key_passphrase: set, but client_key is not encrypted; remove it'),
    (net(proxi='http://proxy:3128'),
     'litellm_network.proxi: not a network option; expected proxy, no_proxy, no_proxy_endpoint, ca_bundle, client_cert, '
     'client_key, client_key_passphrase'),
    (dict(litellm_env={'HTTPS_PROXY': 'http://proxy:3128'}), 'litellm_env.HTTPS_PROXY: set through litellm_network, not in litellm_env'),
    (dict(litellm_env={'NODE_EXTRA_CA_CERTS': '/etc/ssl/corp.pem'}),
     'litellm_env.NODE_EXTRA_CA_CERTS: set through litellm_network, not in litellm_env'),
]))
def test_a_bad_network_option_is_refused_with_one_line_naming_it(overrides, message):
    assert role.problems(**overrides) == [message]


def test_a_proxy_password_never_appears_in_a_message():
    found = role.problems(litellm_network=dict(proxy=PASSWORD_PROXY + '/path?x'))
    assert 's3cr3t' not in '\n'.join(found) and found


def test_a_proxy_is_written_for_https_and_http_with_the_hosts_that_bypass_it():
    result = role.args(**net(proxy='http://proxy.corp.example.com:3128', no_proxy=['localhost', '.corp.example.com', '10.0.0.0/8']))
    env = result['settings']['env']
    assert (env['HTTPS_PROXY'], env['HTTP_PROXY']) == ('http://proxy.corp.example.com:3128',) * 2
    assert env['NO_PROXY'] == 'localhost,.corp.example.com,10.0.0.0/8'
    assert 'env.HTTPS_PROXY' not in result['remove']


def test_no_proxy_endpoint_keeps_the_gateway_host_out_of_the_proxy():
    env = role.args(**net(proxy='http://proxy:3128', no_proxy=['localhost'], no_proxy_endpoint=True))['settings']['env']
    assert env['NO_PROXY'] == 'localhost,llm-gw.corp.example.com'


def test_no_proxy_endpoint_needs_a_gateway_url():
    assert managed.problems(bedrock_network=dict(no_proxy_endpoint=True)) == [
        "bedrock_network.no_proxy_endpoint: needs a gateway URL to keep out of the proxy, and this configuration has none (set "
        "the role's base URL)"]


def test_a_proxy_with_a_password_is_a_secret_the_user_file_is_0600_and_the_managed_scope_refuses_it():
    assert role.args(litellm_auth='helper', litellm_static_key='', **net(proxy=PASSWORD_PROXY))['mode'] == '0600'
    assert managed.problems(bedrock_network=dict(proxy=PASSWORD_PROXY)) == [
        'bedrock_network.proxy: carries a password, and a managed drop-in is a file every account can read; use bedrock_scope=user '
        '(0600 files of each account) or a proxy without a password']
    assert managed.args(bedrock_network=dict(proxy='http://proxy:3128'))['settings']['env']['HTTPS_PROXY'] == 'http://proxy:3128'


def test_a_ca_bundle_is_placed_and_named_by_node_extra_ca_certs():
    result = role.args(**net(ca_bundle=CERT.rstrip('\n')))
    assert dict(path='certs/ca-bundle.pem', env='NODE_EXTRA_CA_CERTS', mode='0644', content=CERT) in present(result)


def test_a_managed_ca_bundle_goes_into_the_managed_folder():
    result = managed.args(bedrock_network=dict(ca_bundle=CERT))
    assert [h['path'] for h in present(result)] == ['certs/ca-bundle.pem']  # relative: under the managed folder


def test_a_client_certificate_and_key_are_one_set_replaced_together_the_key_0600():
    result = role.args(**net(client_cert=CERT, client_key=ENCRYPTED_KEY, client_key_passphrase='pass-phrase'))
    assert dict(path='certs/client/cert.pem', env='CLAUDE_CODE_CLIENT_CERT', mode='0644', versioned=True, content=CERT) in present(result)
    assert dict(path='certs/client/key.pem', env='CLAUDE_CODE_CLIENT_KEY', mode='0600', versioned=True,
                content=ENCRYPTED_KEY) in present(result)
    assert result['settings']['env']['CLAUDE_CODE_CLIENT_KEY_PASSPHRASE'] == 'pass-phrase'
    assert result['mode'] == '0600'


def test_a_client_key_cannot_go_into_the_managed_scope():
    assert managed.problems(bedrock_network=dict(client_cert=CERT, client_key=KEY)) == [
        'bedrock_network.client_key: a private key cannot go into the managed scope: every account would have to read it; use '
        'bedrock_scope=user (a 0600 key file of each account)']


def test_without_network_options_the_role_leaves_the_network_settings_alone():
    result = role.args()  # a developer's own HTTPS_PROXY in their file stays
    assert [name for name in network.OWNED_ENV if 'env.' + name in result['remove']] == []
    assert [h for h in result['helpers'] if h['path'].startswith('certs/')] == []


def test_a_network_mapping_that_names_nothing_removes_every_network_setting_and_file():
    result = role.args(**net(proxy=None))
    for name in network.ENV:
        assert 'env.' + name in result['remove']
    files = dict((h['path'], h) for h in absent(result))
    assert files['certs/ca-bundle.pem']['env'] == 'NODE_EXTRA_CA_CERTS'
    assert files['certs/client/key.pem']['env'] == 'CLAUDE_CODE_CLIENT_KEY'


def test_a_proxy_set_by_another_provider_role_is_replaced_by_this_roles_network():
    env = role.args(**net(proxy='http://new-proxy:8080'))['settings']['env']
    assert env['HTTPS_PROXY'] == 'http://new-proxy:8080'  # set, whatever the file had
    assert 'env.NO_PROXY' in role.args(**net(proxy='http://new-proxy:8080'))['remove']


def test_leaving_keeps_the_network_settings_that_the_other_providers_share():
    result = role.args(litellm_state='absent', **net(proxy='http://proxy:3128', ca_bundle=CERT))
    assert 'env.HTTPS_PROXY' not in result['remove']
    assert [h['path'] for h in result['helpers'] if h['path'].startswith('certs/')] == []
    managed_absent = managed.args(bedrock_state='absent', bedrock_network=dict(ca_bundle=CERT))
    assert sorted(h['path'] for h in managed_absent['helpers']) == ['bin/bedrock-aws-auth-refresh', 'bin/bedrock-aws-credential-export']


@pytest.mark.parametrize('name', sorted(PROVIDERS))
def test_every_provider_role_has_the_network_option(name):
    assert PROVIDERS[name].PREFIX + 'network' in PROVIDERS[name].VARIABLES


def test_a_variable_listed_in_secret_env_is_hidden_and_makes_the_file_0600():
    result = role.args(litellm_auth='helper', litellm_static_key='', litellm_env={'CORP_SSO': 'cookie-value'},
                       litellm_secret_env=['CORP_SSO'])
    assert result['secret_keys'] == ['env.CORP_SSO'] and result['mode'] == '0600'
    found = role.problems(litellm_env={'CORP_SSO': ['cookie-value']}, litellm_secret_env=['CORP_SSO'])
    assert 'cookie-value' not in '\n'.join(found)
    assert role.problems(litellm_secret_env=['NOPE']) == ['litellm_secret_env: expected names of variables in litellm_env, got "NOPE"']
