# -*- coding: utf-8 -*-
# Copyright: (c) 2026, fleetcfg maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Claude Platform on AWS: what the role fleetcfg.claude_code.anthropic_aws owns, checks and writes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.fleetcfg.claude_code.plugins.plugin_utils.providers import bedrock, vertex
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

NAME = 'anthropic_aws'
PREFIX = 'anthropic_aws_'
AUTH_MODES = ('api_key', 'profile', 'sso', 'gateway')

WORKSPACE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{2,127}\Z')
# Claude Platform on AWS serves Anthropic's API: Anthropic model names (claude-sonnet-4-5, claude-sonnet-4-5-20250929),
# not Bedrock's or Vertex's ids.
MODEL_PATTERN = r'(?!(?:%s|%s)\Z)claude-[a-z0-9][a-z0-9.-]*(?:\[1m\])?' % (bedrock.MODEL_PATTERN, vertex.DATED_ID)
EXPECTED_ID = 'an Anthropic model name such as claude-sonnet-4-5 or claude-sonnet-4-5-20250929 (not a Bedrock or Vertex id)'

ROLE_ENV = frozenset(('CLAUDE_CODE_USE_ANTHROPIC_AWS', 'ANTHROPIC_AWS_WORKSPACE_ID', 'AWS_REGION', 'AWS_PROFILE',
                      'ANTHROPIC_AWS_API_KEY', 'ANTHROPIC_AWS_BASE_URL', 'CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH') + MODEL_ENV)
ENV = tuple(sorted(ROLE_ENV))

# For settings_info (see bedrock.py); with no credential set, SigV4 with the AWS SDK's default chain.
SWITCH = 'CLAUDE_CODE_USE_ANTHROPIC_AWS'
ENDPOINT = 'ANTHROPIC_AWS_BASE_URL'
CREDENTIALS = ('env.CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH', 'env.ANTHROPIC_AWS_API_KEY', 'env.AWS_PROFILE')

HELPERS = dict(
    sso=Helper('bin/anthropic-aws-auth-refresh', setting='awsAuthRefresh', template='aws-auth-refresh.sh.j2'),
)

VARIABLES = common_variables(PREFIX)
VARIABLES.update({
    'anthropic_aws_workspace_id': Var(required=True, expected='the workspace id of Claude Platform on AWS'),
    'anthropic_aws_region': Var(required=True, expected='an AWS region such as us-east-1'),
    'anthropic_aws_auth': Var(choices=AUTH_MODES, required=True, expected='one of %s' % ', '.join(AUTH_MODES)),
    'anthropic_aws_api_key': Var('raw', secret=True),
    'anthropic_aws_profile': Var(),
    'anthropic_aws_aws_cli': Var(),
    'anthropic_aws_base_url': Var(),
    'anthropic_aws_models': Var('dict'),
})


def configure(v):
    """Check the inputs (problems go to ``v``) and return what one Claude Platform on AWS configuration writes."""
    models = v.get('models', {})
    if v['state'] == 'absent':
        return dict(own_models=None, model_values=[models.get('default')])
    auth = v['auth']
    workspace, region = v['workspace_id'], v['region']
    if workspace is not None and not WORKSPACE_ID.match(workspace):
        v.expect('anthropic_aws_workspace_id', 'a workspace id (letters, digits, _ and -)')
    if region is not None and not AWS_REGION.match(region):
        v.expect('anthropic_aws_region', 'an AWS region such as us-east-1 or eu-central-1')
    if auth == 'api_key':
        check_account_key(v, 'anthropic_aws_api_key', 'anthropic_aws_auth', auth)
    else:
        refuse_unused(v, 'anthropic_aws_api_key', 'anthropic_aws_auth', auth, 'api_key')
    profile = bedrock.check_aws_profile(v, auth)
    if not COMMAND_WORD.match(v.get('aws_cli', '')):
        v.expect('anthropic_aws_aws_cli', 'a command name or absolute path without spaces or shell characters')
    base_url = v.get('base_url', '')
    if auth == 'gateway' and not base_url:
        v.require('anthropic_aws_base_url', "the gateway's URL in front of Claude Platform on AWS", ' with anthropic_aws_auth=gateway')
    elif base_url and not HTTP_URL.match(base_url):
        v.expect('anthropic_aws_base_url', 'an http:// or https:// URL')
    pins, model_keys = pin_models(v, models, MODEL_PATTERN, EXPECTED_ID)
    if v.problems:
        return None

    env = dict(v.get('env', {}))
    env.update(CLAUDE_CODE_USE_ANTHROPIC_AWS='1', ANTHROPIC_AWS_WORKSPACE_ID=workspace, AWS_REGION=region)
    env.update(pins)
    if auth in ('profile', 'sso'):
        env['AWS_PROFILE'] = profile
    if auth == 'gateway':
        env['CLAUDE_CODE_SKIP_ANTHROPIC_AWS_AUTH'] = '1'
    if base_url:
        env['ANTHROPIC_AWS_BASE_URL'] = base_url
    env = dict((name, str(value)) for name, value in env.items())
    conf = dict(env=env, settings=model_keys, helpers=[], endpoint=base_url or None)
    if auth in HELPERS:
        conf['helpers'].append(HELPERS[auth].entry(template=HELPERS[auth].template))
    if auth == 'api_key':
        conf['user_env'] = account_keys(v, 'anthropic_aws_api_key', 'ANTHROPIC_AWS_API_KEY')
        conf['mode'] = '0600'
    return conf
