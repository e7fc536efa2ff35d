import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { DEFAULT_CLIENT_ID } from '../clients/oauth-client.entity';

export class CreateIdentity1763900000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'email', type: 'varchar', length: '254', isUnique: true },
          { name: 'password_hash', type: 'varchar', length: '200' },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createTable(
      new Table({
        name: 'oauth_clients',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'secret_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    const [a, b, c] = queryRunner.connection.driver.options.type === 'postgres' ? ['$1', '$2', '$3'] : ['?', '?', '?'];
    await queryRunner.query(`INSERT INTO oauth_clients (id, name, secret_hash, created_at) VALUES (${a}, ${b}, NULL, ${c})`, [
      DEFAULT_CLIENT_ID,
      'Cleave quick start (public client)',
      new Date().toISOString(),
    ]);
    await queryRunner.createTable(
      new Table({
        name: 'tokens',
        columns: [
          { name: 'hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '10' },
          { name: 'pair_id', type: 'varchar', length: '40' },
          { name: 'user_id', type: 'varchar', length: '64' },
          { name: 'client_id', type: 'varchar', length: '64' },
          { name: 'expires_at', type: 'varchar', length: '30' },
          { name: 'revoked_at', type: 'varchar', length: '30', isNullable: true },
          { name: 'used_at', type: 'varchar', length: '30', isNullable: true },
          { name: 'created_at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex('tokens', new TableIndex({ name: 'tokens_pair', columnNames: ['pair_id'] }));
    await queryRunner.createTable(
      new Table({
        name: 'login_attempts',
        columns: [
          { name: 'id', type: 'varchar', length: '40', isPrimary: true },
          { name: 'email', type: 'varchar', length: '254' },
          { name: 'address', type: 'varchar', length: '64' },
          { name: 'succeeded', type: 'boolean' },
          { name: 'at', type: 'varchar', length: '30' },
        ],
      }),
    );
    await queryRunner.createIndex('login_attempts', new TableIndex({ name: 'login_attempts_email', columnNames: ['email', 'at'] }));
    await queryRunner.createIndex('login_attempts', new TableIndex({ name: 'login_attempts_address', columnNames: ['address', 'at'] }));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['login_attempts', 'tokens', 'oauth_clients', 'users']) await queryRunner.dropTable(table);
  }
}
