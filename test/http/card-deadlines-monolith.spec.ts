import { cardDeadlineSuite } from './card-deadlines';

cardDeadlineSuite('monolith');
