import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The built-in public client, for the quick start and first-party apps that can't keep a secret. */
export const DEFAULT_CLIENT_ID = 'oauth2client_00009cleaveQuickStart0';

/** An OAuth2 client. A confidential client has a secret, kept hashed; a public one has none. */
@Entity({ name: 'oauth_clients' })
export class OAuthClient {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ name: 'secret_hash', type: 'varchar', length: 64, nullable: true })
  secretHash!: string | null;

  @Column({ name: 'created_at', type: 'varchar', length: 30 })
  createdAt!: string;
}
