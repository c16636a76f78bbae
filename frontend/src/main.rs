fn main() {
    minivoice_widget::mount_page();
}
