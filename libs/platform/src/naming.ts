// A second entry point, `@cleave/platform/naming`: the names every process agrees on, without loading the
// platform (Nest, TypeORM, drivers). The split launcher only starts processes and needs no more than these.
export { contextOf } from './bus/names';
export { passwordVariable } from './nats/nats-permissions';
