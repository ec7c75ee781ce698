import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { DashboardApp } from './app/DashboardApp.js';
import { PortalApp } from './app/PortalApp.js';
import './styles.css';

// One bundle, two faces: Herald serves this page at / (operator) and /portal (consumer).
const portal = window.location.pathname === '/portal' || window.location.pathname.startsWith('/portal/');
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(<StrictMode>{portal ? <PortalApp /> : <DashboardApp />}</StrictMode>);
}
