# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon Bedrock: what the role fleetcfg.claude_code.bedrock owns, checks and writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers.common import (
    AWS_REGION,
    COMMAND_WORD,
    HTTP_URL,
    MODEL_ENV,
    Helper,
    Var,
    account_keys,
    check_account_key,
    common_variables,
    pin_models,
    refuse_unused,
)

NAME = 'bedrock'
PREFIX = 'bedrock_'
AUTH_MODES = ('profile', 'sso', 'credential_export', 'api_key', 'gateway')

# Inference-profile ids (us.anthropic.claude-..., global.anthropic.claude-...) and inference-profile ARNs.
MODEL_ID = r'[a-z]{2,7}(?:-[a-z]+)?\.anthropic\.claude-[a-z0-9.-]+(?::[0-9]+)?(?:\[1m\])?'
MODEL_ARN = (r'arn:aws(?:-[a-z]+)*:bedrock:[a-z]{2}(?:-[a-z]+)+-[0-9]+:[0-9]{12}:'
             r'(?:application-)?inference-profile/[A-Za-z0-9][A-Za-z0-9.:_-]*')
MODEL_PATTERN = '%s|%s' % (MODEL_ID, MODEL_ARN)
EXPECTED_ID = ('a Bedrock inference-profile id such as us.anthropic.claude-sonnet-4-5-20250929-v1:0 or global.anthropic.claude-..., '
               'or an inference-profile ARN (arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>)')
PROFILE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.@+=-]*\Z')

# Set by the role's own variables: refused in bedrock_env.
ROLE_ENV = frozenset(('CLAUDE_CODE_USE_BEDROCK', 'AWS_REGION', 'AWS_PROFILE', 'AWS_BEARER_TOKEN_BEDROCK',
                      'ANTHROPIC_BEDROCK_BASE_URL', 'CLAUDE_CODE_SKIP_BEDROCK_AUTH', 'DISABLE_PROMPT_CACHING') + MODEL_ENV)
# Owned: removed when another provider is configured, or with bedrock_state: absent.
ENV = tuple(sorted(ROLE_ENV | set(('ANTHROPIC_BEDROCK_SERVICE_TIER', 'ANTHROPIC_SMALL_FAST_MODEL_AWS_REGION'))))

# What settings_info reads in an account's effective settings: the switch that selects this provider, the variable
# that names its endpoint, and the settings that authenticate, in the order the client prefers them (the first one
# set is used; with none, the AWS SDK's default chain).
SWITCH = 'CLAUDE_CODE_USE_BEDROCK'
ENDPOINT = 'ANTHROPIC_BEDROCK_BASE_URL'
CREDENTIALS = ('env.CLAUDE_CODE_SKIP_BEDROCK_AUTH', 'env.AWS_BEARER_TOKEN_BEDROCK', 'awsCredentialExport', 'env.AWS_PROFILE')

HELPERS = dict(
    sso=Helper('bin/bedrock-aws-auth-refresh', setting='awsAuthRefresh', template='aws-auth-refresh.sh.j2'),
    credential_export=Helper('bin/bedrock-aws-credential-export', setting='awsCredentialExport',
                             template='aws-credential-export.sh.j2'),
)

VARIABLES = common_variables(PREFIX)
VARIABLES.update({
    'bedrock_region': Var(required=True, expected='an AWS region such as us-east-1'),
    'bedrock_models': Var('dict', required=True, expected='a mapping with at least haiku: <Bedrock id or ARN>'),
    'bedrock_auth': Var(choices=AUTH_MODES, required=True, expected='one of %s' % ', '.join(AUTH_MODES)),
    'bedrock_profile': Var(),
    'bedrock_aws_cli': Var(),
    'bedrock_credential_export_command': Var('list', elements='str'),
    'bedrock_credential_export_format': Var(choices=('process', 'credentials')),
    'bedrock_api_key': Var('raw', secret=True),
    'bedrock_base_url': Var(),
    'bedrock_disable_prompt_caching': Var('bool'),
})
RENAMED = {'bedrock_managed_dropin': 'bedrock_dropin'}


def check_aws_profile(v, auth):
    """``<prefix>profile``, the AWS profile of the profile and sso modes (Bedrock's and Claude Platform on AWS's)."""
    p = v.prefix
    profile = v.get('profile', '')
    if auth in ('profile', 'sso') and not profile:
        v.require(p + 'profile', 'an AWS profile name', ' with %sauth=%s' % (p, auth))
    elif profile and not PROFILE.match(profile):
        v.expect(p + 'profile', 'letters, digits and _.@+=- (an AWS profile name)')
    elif profile and auth not in ('profile', 'sso', None):
        v.refuse(p + 'profile', 'only used with %sauth profile or sso, not with %s; remove it' % (p, auth))
    return profile


def _check_api_key(v, auth):
    if auth == 'api_key':
        check_account_key(v, 'bedrock_api_key', 'bedrock_auth', auth)
    else:
        refuse_unused(v, 'bedrock_api_key', 'bedrock_auth', auth, 'api_key')


def configure(v):
    """Check the inputs (problems go to ``v``) and return what one Bedrock configuration writes."""
    models = v.get('models', {})
    if v['state'] == 'absent':
        return dict(own_models=MODEL_PATTERN, model_values=[models.get('default')])
    auth = v['auth']
    region = v['region']
    if region is not None and not AWS_REGION.match(region):
        v.expect('bedrock_region', 'an AWS region such as us-east-1 or eu-central-1')
    if not models.get('haiku'):
        v.require('bedrock_models.haiku', "a Bedrock id or ARN for the haiku class (background and small tasks); unpinned it "
                  "resolves to a model id the account may not be allowed to use (403, 'model identifier is invalid')")
    pins, model_keys = pin_models(v, models, MODEL_PATTERN, EXPECTED_ID)
    profile = check_aws_profile(v, auth)
    if not COMMAND_WORD.match(v.get('aws_cli', '')):
        v.expect('bedrock_aws_cli', 'a command name or absolute path without spaces or shell characters')
    command = v.get('credential_export_command', [])
    if auth == 'credential_export' and not command:
        v.require('bedrock_credential_export_command', 'a list: the broker and its arguments', ' with bedrock_auth=credential_export')
    elif command and auth != 'credential_export':
        v.refuse('bedrock_credential_export_command', 'only used with bedrock_auth=credential_export, not with %s; remove it' % auth)
    _check_api_key(v, auth)
    base_url = v.get('base_url', '')
    if auth == 'gateway' and not base_url:
        v.require('bedrock_base_url', "the gateway's URL in front of Bedrock", ' with bedrock_auth=gateway')
    elif base_url and not HTTP_URL.match(base_url):
        v.expect('bedrock_base_url', 'an http:// or https:// URL')
    if v.problems:
        return None

    env = dict(v.get('env', {}))
    env.update(CLAUDE_CODE_USE_BEDROCK='1', AWS_REGION=region)
    env.update(pins)
    if auth in ('profile', 'sso'):
        env['AWS_PROFILE'] = profile
    if auth == 'gateway':
        env['CLAUDE_CODE_SKIP_BEDROCK_AUTH'] = '1'
    if base_url:
        env['ANTHROPIC_BEDROCK_BASE_URL'] = base_url
    if v['disable_prompt_caching']:
        env['DISABLE_PROMPT_CACHING'] = '1'
    env = dict((name, str(value)) for name, value in env.items())
    conf = dict(env=env, settings=model_keys, helpers=[], endpoint=base_url or None)
    if auth in HELPERS:
        conf['helpers'].append(HELPERS[auth].entry(template=HELPERS[auth].template))
    if auth == 'api_key':
        conf['user_env'] = account_keys(v, 'bedrock_api_key', 'AWS_BEARER_TOKEN_BEDROCK')
        # A key goes only into a file of its account alone: an existing user file of another mode is made 0600.
        conf['mode'] = '0600'
    return conf
