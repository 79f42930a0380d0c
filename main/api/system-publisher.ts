import type { EventPayload } from '../../contract';
import type { Engine } from '../engine/engine';
import type { Publish } from './publisher';

/**
 * Forwards the system monitor's events: snapshot diffs (taken only while a view holds a
 * watch lease, so an idle Forkscope reads no /proc at all), settings, and descendant lanes.
 */
export function startSystemPublisher(engine: Engine, publish: Publish) {
  const system = engine.system;
  const onDiff = (diff: EventPayload<'system.diff'>) => publish('system.diff', diff);
  const onSettings = (settings: EventPayload<'system.settings'>) => publish('system.settings', settings);
  const onLanes = (lanes: EventPayload<'system.lanes'>) => publish('system.lanes', lanes);
  system.on('diff', onDiff);
  system.on('settings', onSettings);
  system.on('lanes', onLanes);
  return {
    stop() {
      system.off('diff', onDiff);
      system.off('settings', onSettings);
      system.off('lanes', onLanes);
    },
  };
}
