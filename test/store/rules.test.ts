import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rotationStep } from '../../src/store/rules.js';

describe('ARCHITECTURE "Tokens": the refresh decision every backend shares (as.token.refresh-rotation)', () => {
  const live = { expires_at: 2000, absolute_expires_at: 3000, rotated_at: null, grant_revoked_at: null };
  it('unknown, idle-expired, absolutely expired or revoked → dead', () => {
    assert.equal(rotationStep(null, 1000, 10), 'dead');
    assert.equal(rotationStep({ ...live, expires_at: 1000 }, 1000, 10), 'dead');
    assert.equal(rotationStep({ ...live, absolute_expires_at: 1000 }, 1000, 10), 'dead');
    assert.equal(rotationStep({ ...live, grant_revoked_at: 500 }, 1000, 10), 'dead');
  });
  it('unrotated → rotate; rotated within the grace → grace; after it → reuse', () => {
    assert.equal(rotationStep(live, 1000, 10), 'rotate');
    assert.equal(rotationStep({ ...live, rotated_at: 995 }, 1000, 10), 'grace');
    assert.equal(rotationStep({ ...live, rotated_at: 990 }, 1000, 10), 'grace');
    assert.equal(rotationStep({ ...live, rotated_at: 989 }, 1000, 10), 'reuse');
  });
});
