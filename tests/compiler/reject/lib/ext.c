/* companion C of ext.mos (only its presence is checked) */
